/* C backend: the target instruction set (mlc compile --target). Code
 * planned for a target is right only where the kernels' tile sizes and the
 * weights' packed layouts are those mlc planned with: the source refuses to
 * compile for another ISA (#error), and to link with a runtime built for
 * another (it refers to the symbol that only a runtime of its ISA defines,
 * mlc_rt_core.h). Generic code is portable C and checks nothing. */
#include "emitc_int.h"

static const struct {
  const char *name; /* as --target spells it */
  const char *what; /* what it needs of the C compiler's flags */
  /* preprocessor conditions under which the code must not build, each with
   * its remedy; NULL-terminated */
  const char *refuse[3][2];
} targets[] = {
    [TARGET_GENERIC] = {"generic", "", {{NULL, NULL}}},
    [TARGET_X86_64_V3] = {"x86-64-v3",
                          "AVX2 and FMA",
                          {{"!defined(__AVX2__) || !defined(__FMA__)",
                            "build it with -march=x86-64-v3 (or -mavx2 -mfma), or generate it "
                            "again with another --target"},
                           {"defined(__AVX512F__)",
                            "built with AVX-512F it would not match the runtime, whose tiles "
                            "follow the widest instruction set it is built for: build it with "
                            "-march=x86-64-v3 (not -march=native on an AVX-512 machine), or "
                            "generate it again with --target=x86-64-v4"},
                           {NULL, NULL}}},
    [TARGET_X86_64_V4] = {"x86-64-v4",
                          "AVX-512F",
                          {{"!defined(__AVX512F__)",
                            "build it with -march=x86-64-v4 (or flags that enable AVX-512F: "
                            "-mavx512f -mavx2 -mfma), or generate it again with another --target"},
                           {NULL, NULL}}},
    [TARGET_AARCH64] = {"aarch64",
                        "NEON",
                        {{"!defined(__aarch64__)",
                          "build it with a compiler for aarch64, or generate it again with "
                          "another --target"},
                         {NULL, NULL}}},
    /* the CUDA backend (codegen/cuda) prints these checks too */
    [TARGET_CUDA] = {"cuda",
                     "CUDA",
                     {{"!defined(__CUDACC__)", "compile it with nvcc (it is CUDA C++)"},
                      {NULL, NULL}}},
};

const char *emitc_target_name(int t) {
  return t >= 0 && t < (int)(sizeof targets / sizeof *targets) ? targets[t].name : NULL;
}

/* the symbol a runtime built for t defines (MLC_RT_ISA_SYMBOL) */
static const char *isa_symbol(Arena *a, TargetIsa t) {
  char *s = arena_printf(a, "mlc_rt_isa_%s", targets[t].name);
  for (char *c = s; *c; c++)
    if (*c == '-') *c = '_';
  return s;
}

void emitc_target_guard(Emit *e) {
  TargetIsa t = ir_target(e->p->g);
  FILE *f = e->f;
  if (t == TARGET_GENERIC) return;
  fprintf(f, "/* planned for %s (%s; mlc compile --target=%s) */\n", targets[t].name,
          targets[t].what, targets[t].name);
  for (int i = 0; targets[t].refuse[i][0]; i++)
    fprintf(f, "#%s %s\n#error \"%s was generated for target %s (%s): %s\"\n", i ? "elif" : "if",
            targets[t].refuse[i][0], e->o->prefix, targets[t].name, targets[t].what,
            targets[t].refuse[i][1]);
  /* declared here, not only by mlc_rt.h, which names the symbol of the ISA
   * these flags give (the generic one under MLC_RT_PORTABLE) */
  fprintf(f, "#endif\nextern const int %s;\n\n", isa_symbol(e->a, t));
}

void emitc_target_link_check(Emit *e) {
  TargetIsa t = ir_target(e->p->g);
  if (t == TARGET_GENERIC) return;
  fprintf(e->f,
          "  /* links only with a runtime built for %s, the one that defines this\n"
          "   * symbol; the volatile read keeps the reference */\n"
          "  (void)*(const volatile int *)&%s;\n",
          targets[t].name, isa_symbol(e->a, t));
}
