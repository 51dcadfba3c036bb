/* Accuracy of the runtime's own float exp, tanh and erf (mlc_rt_expf,
 * mlc_rt_tanhf, mlc_rt_erff) and of the scalar functions built on them
 * (sigmoid, both GELUs), against libm in double: every 193rd float bit
 * pattern (both signs, zeros, subnormals, all exponents, infinities and
 * NaNs), every float of the ranges where the approximations switch, and
 * the edge values one by one.
 *
 * Errors count in units in the last place of the float nearest the exact
 * value (subnormal spacing below the normal range). A NaN must give NaN,
 * a result that rounds to an infinity that infinity. The GELUs lose
 * precision where 1 + erf (or 1 + tanh) cancels, as any float evaluation
 * does, so they are held to an absolute bound there, scaled by |x|.
 * Sigmoid, 1 / (1 + e^-x), gives 0 once e^-x overflows, where the exact
 * value is below the smallest normal float (x < -88.7), as it did with
 * libm's exp.
 *
 * QuantizeLinear's scalar functions (mlc_quanti8_f32, mlc_quantu8_f32)
 * round without libm; they must equal saturate(nearbyintf(x / scale) +
 * zero point) exactly, on the same bit patterns, on every half-way point
 * of a range of steps, and at the ends of the range.
 *
 * usage: mlc_unit_math   Prints each function's largest error and where;
 * exits 1 if any is over its bound. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mlc_rt.h"

typedef struct Fn {
  const char *name;
  float (*f)(float);
  double (*ref)(double);
  double bound; /* ulps */
  double absx;  /* extra absolute error allowed, times |x| */
  double worst; /* measured */
  float at;
  long bad;
} Fn;

static float f_exp(float x) { return mlc_rt_expf(x); }
static float f_tanh(float x) { return mlc_rt_tanhf(x); }
static float f_erf(float x) { return mlc_rt_erff(x); }
static float f_sigmoid(float x) { return mlc_sigmoid_f32(x); }
static float f_gelu(float x) { return mlc_gelu_f32(x); }
static float f_gelu_tanh(float x) { return mlc_gelu_tanh_f32(x); }
static double r_sigmoid(double x) { return 1 / (1 + exp(-x)); }
static double r_gelu(double x) { return 0.5 * x * (1 + erf(x * 0.70710678118654752)); }
static double r_gelu_tanh(double x) {
  return 0.5 * x * (1 + tanh(0.79788456080286536 * (x + 0.044715 * x * x * x)));
}

/* the spacing of floats at the float nearest to w */
static double ulp_at(double w) {
  float a = fabsf((float)w);
  if (a < 1.17549435e-38f) return ldexp(1, -149);
  if (isinf(a)) a = 3.40282347e+38f;
  return (double)nextafterf(a, INFINITY) - a;
}

static void check(Fn *fn, float x) {
  float got = fn->f(x);
  double want = fn->ref((double)x), err;
  if (isnan(want) || isinf((float)want))
    err = (isnan(want) ? !isnan(got) : got != (float)want) ? INFINITY : 0;
  else if (got == 0 && fabs(want) < 0x1p-126 && fn->f == f_sigmoid)
    err = 0;
  else
    err = fmax(0, fabs(got - want) - fn->absx * fabs((double)x)) / ulp_at(want);
  if (err > fn->worst || (isnan(err) && !isnan(fn->worst))) {
    fn->worst = err;
    fn->at = x;
  }
  fn->bad += !(err <= fn->bound);
}

static float from_bits(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

/* x quantized with scale s and zero point z into [lo, hi], the plain way */
static float quant_ref(float x, float s, float z, float lo, float hi) {
  float v = nearbyintf(x / s) + z;
  return v < lo ? lo : v > hi ? hi : v;
}

static long quant_check(float x, float s, float z) {
  long bad = 0;
  if (isnan(x)) return 0; /* saturates to one end, which ONNX leaves open */
  if (z >= -128 && z <= 127) bad += mlc_quanti8_f32(x, s, z) != quant_ref(x, s, z, -128, 127);
  if (z >= 0) bad += mlc_quantu8_f32(x, s, z) != quant_ref(x, s, z, 0, 255);
  if (bad) printf("quantize %.9g / %.9g + %g differs\n", x, s, z);
  return bad;
}

/* 1 if QuantizeLinear's scalar functions differ anywhere */
static int quant_checks(void) {
  static const float scales[] = {0.1f, 0.0078125f, 3.0f, 1e-6f, 0.037230949f};
  static const float zps[] = {-128, -5, 0, 5, 127, 128, 255};
  long bad = 0, n = 0;
  for (size_t i = 0; i < sizeof scales / sizeof *scales; i++)
    for (size_t j = 0; j < sizeof zps / sizeof *zps; j++) {
      float s = scales[i], z = zps[j];
      for (uint64_t b = 0; b <= 0xffffffffu && bad < 10; b += 193 * 97, n++)
        bad += quant_check(from_bits((uint32_t)b), s, z);
      for (int k = -300; k <= 300 && bad < 10; k++, n += 3) {
        float half = ((float)k + 0.5f) * s;
        bad += quant_check(half, s, z) + quant_check(nextafterf(half, INFINITY), s, z) +
               quant_check(nextafterf(half, -INFINITY), s, z);
      }
    }
  printf("quantize   %ld values, %ld differ%s\n", n, bad, bad ? "  FAIL" : "");
  return bad != 0;
}

int main(void) {
  Fn fns[] = {
      {"exp", f_exp, exp, 2, 0, 0, 0, 0},
      {"tanh", f_tanh, tanh, 2, 0, 0, 0, 0},
      {"erf", f_erf, erf, 3, 0, 0, 0, 0},
      {"sigmoid", f_sigmoid, r_sigmoid, 4, 0, 0, 0, 0},
      {"gelu", f_gelu, r_gelu, 4, 0x1p-24, 0, 0, 0},
      {"gelu_tanh", f_gelu_tanh, r_gelu_tanh, 4, 0x1p-24, 0, 0, 0},
  };
  const int nfns = (int)(sizeof fns / sizeof *fns);
  /* where the approximations switch or saturate, and overflow, underflow */
  static const float edges[] = {
      0.0f,        0.625f,          1.0f,         4.0f,         9.0f,    3.9f,
      88.7228394f, 89.0f,           -87.3365479f, -103.972076f, -104.0f, 1e-30f,
      1e-45f,      3.40282347e+38f, INFINITY,     NAN};
  int failed = 0;
  for (int k = 0; k < nfns; k++) {
    Fn *fn = &fns[k];
    for (uint64_t b = 0; b <= 0xffffffffu; b += 193) check(fn, from_bits((uint32_t)b));
    for (float x = -10.0f; x <= 10.0f; x += 0x1p-12f) check(fn, x);
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++)
      for (int s = -1; s <= 1; s += 2) {
        float e = s * edges[i];
        check(fn, e);
        check(fn, nextafterf(e, INFINITY));
        check(fn, nextafterf(e, -INFINITY));
      }
    printf("%-10s max %.3f ulp at %.9g (bound %g)%s\n", fn->name, fn->worst, fn->at, fn->bound,
           fn->bad ? "  FAIL" : "");
    failed += fn->bad > 0;
  }
  failed += quant_checks();
  printf("%d passed, %d failed\n", nfns + 1 - failed, failed);
  return failed != 0;
}
