/* `mlc plan`: the memory plan as a picture. Time (steps) runs across, arena
 * offset down; each intermediate is a box from its first to its last step,
 * so fragmentation and the peak are visible at a glance. A box's tooltip
 * names the value, its shape and its bytes. */
#include "plan_svg.h"

#include <inttypes.h>

#include "ir.h"

/* text inside an XML attribute or element */
static void put_xml(FILE *f, const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '<')
      fputs("&lt;", f);
    else if (*p == '>')
      fputs("&gt;", f);
    else if (*p == '&')
      fputs("&amp;", f);
    else if (*p == '"')
      fputs("&quot;", f);
    else if (*p < 0x20 || *p > 0x7e)
      fputc('?', f);
    else
      fputc(*p, f);
  }
}

void plan_svg(const Plan *p, FILE *f) {
  const double W = 1000, H = 600, left = 70, top = 40;
  double steps = p->nsteps ? p->nsteps : 1;
  double bytes = p->arena_bytes ? (double)p->arena_bytes : 1;
  fprintf(f,
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
          "font-family=\"sans-serif\" font-size=\"12\">\n",
          W + left + 20, H + top + 40);
  fprintf(f,
          "<text x=\"%.0f\" y=\"20\">arena %" PRId64 " bytes, lower bound %" PRId64
          " (ratio %.3f), %d steps, %d values, %d in place</text>\n",
          left, p->arena_bytes, p->lower_bound,
          p->lower_bound ? (double)p->arena_bytes / (double)p->lower_bound : 1.0, p->nsteps,
          p->narena, p->ninplace);
  fprintf(f,
          "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"#f6f6f6\" "
          "stroke=\"#999\"/>\n",
          left, top, W, H);
  for (int i = 0; i < p->narena; i++) {
    const Value *v = p->arena_vals[i];
    int first = -1, last = -1;
    for (int s = 0; s < p->nsteps; s++)
      for (int c = 0; c < p->steps[s].ncalls; c++)
        for (int j = 0; j < p->steps[s].calls[c].nio; j++) {
          Value *x = p->steps[s].calls[c].io[j];
          if (x && plan_root(x) == v) {
            if (first < 0) first = s;
            last = s;
          }
        }
    if (first < 0) continue;
    double x0 = left + W * first / steps, x1 = left + W * (last + 1) / steps;
    double y0 = top + H * (double)v->offset / bytes;
    double h = H * (double)ir_nbytes(v) / bytes;
    unsigned hue = (unsigned)(v->id * 47u) % 360u;
    fprintf(f,
            "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
            "fill=\"hsl(%u,60%%,65%%)\" stroke=\"#333\" stroke-width=\"0.3\"><title>",
            x0, y0, x1 - x0, h > 0.5 ? h : 0.5, hue);
    put_xml(f, *v->name ? v->name : "(temporary)");
    fprintf(f, " %s %" PRId64 " bytes at %" PRId64 ", steps %d-%d", dtype_name(v->dtype),
            (int64_t)ir_nbytes(v), v->offset, first, last);
    fputs("</title></rect>\n", f);
  }
  fprintf(f, "<text x=\"%.0f\" y=\"%.0f\">step (schedule order) &#8594;</text>\n", left,
          top + H + 20);
  fprintf(f,
          "<text x=\"15\" y=\"%.0f\" transform=\"rotate(-90 15 %.0f)\">arena offset "
          "&#8594;</text>\n",
          top + H / 2, top + H / 2);
  fputs("</svg>\n", f);
}
