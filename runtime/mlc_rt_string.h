/* mlc runtime, family string. String tensors: concatenation, splitting,
 * normalizing, lookups and regular expressions; strings are made in the
 * run's string region (mlc_rt_core.h).
 *
 * Parameter structs (S) and kernels (K, io in order: inputs, then
 * outputs); mlc_rt.h gathers every family's lists. */
#ifndef MLC_RT_STRING_H
#define MLC_RT_STRING_H

#include "mlc_rt_core.h"

#define MLC_RT_PARAMS_STRING(S, I, D, IA, DA)                                 \
  /* StringSplit of count strings into cols substrings each, padded with      \
     ""; at most maxsplit splits (-1: no limit). No delimiter (NULL or ""):   \
     runs of whitespace separate and leading/trailing ones are dropped.       \
     cols is the bound the output was planned for; the count output gets      \
     the widest row, and rows are laid out compactly at that width. With      \
     y NULL only lengths and the widest row are written */                    \
  S(MlcStrSplit, I(count) I(cols) I(maxsplit) I(cap))                         \
  /* StringNormalizer of len strings: those equal to one of nstop             \
     stopwords (ignoring case unless case_sensitive) are dropped, the rest    \
     change case (MLC_STR_*) and fill y from its start; no string left        \
     gives one "". The rest of y's out_len entries are "" */                  \
  S(MlcStrNorm, I(len) I(out_len) I(nstop) I(case_change)                     \
                I(case_sensitive) I(cap))                                     \
  /* LabelEncoder with string keys or values: x's count items of type         \
     in_t looked up among nkeys sorted keys (strings, int64 or double:        \
     key_t); the key's place picks the value (strings, int64 or double,       \
     stored as out_t), else the default (def for strings, else def_i or       \
     def_f) */                                                                \
  S(MlcStrMap, I(count) I(nkeys) I(in_t) I(key_t) I(out_t) I(def_i)           \
               D(def_f))                                                      \
  /* RegexFullMatch of count strings: a program of ninst instructions of      \
     3 int64 (MLC_RX_*, x, y), then the class ranges. Thompson simulation     \
     over code points: linear in the string, no backtracking */               \
  S(MlcRegex, I(count) I(ninst))

#define MLC_RT_KERNELS_STRING(K)                                              \
  K(str_concat, MlcEw)         /* io: a, b, y, region; MlcEw's broadcast      \
                                  strides, p0 = the region's bytes */         \
  K(str_split, MlcStrSplit)    /* io: x, delimiter|NULL ([1]), y|NULL,        \
                                  lengths (int64), cols (int64 [1]),          \
                                  region */                                   \
  K(str_normalize, MlcStrNorm) /* io: x, stopwords|NULL, y, count|NULL        \
                                  (int64 [1]), region */                      \
  K(str_map, MlcStrMap)        /* io: x, keys, vals, def|NULL ([1]), y */     \
  /* scratch: 5 * ninst + 1 int64 */                                          \
  K(regex_match, MlcRegex)     /* io: x, program (int64), y (bool),           \
                                  scratch */

#ifdef __cplusplus
extern "C" {
#endif

MLC_RT_DECLARE(MLC_RT_PARAMS_STRING, MLC_RT_KERNELS_STRING)

/* io slots: where each kernel finds its tensors in io[] (the lowering
 * fills them by these names, the kernel reads them by these names) */
/* str_concat */
enum { MLC_STR_CONCAT_A, MLC_STR_CONCAT_B, MLC_STR_CONCAT_Y,
       MLC_STR_CONCAT_REGION, MLC_STR_CONCAT_NIO };
/* str_split */
enum { MLC_STR_SPLIT_X, MLC_STR_SPLIT_DELIMITER, MLC_STR_SPLIT_Y,
       MLC_STR_SPLIT_LENGTHS, MLC_STR_SPLIT_COLS, MLC_STR_SPLIT_REGION,
       MLC_STR_SPLIT_NIO };
/* str_normalize */
enum { MLC_STR_NORMALIZE_X, MLC_STR_NORMALIZE_STOPWORDS, MLC_STR_NORMALIZE_Y,
       MLC_STR_NORMALIZE_COUNT, MLC_STR_NORMALIZE_REGION,
       MLC_STR_NORMALIZE_NIO };
/* str_map */
enum { MLC_STR_MAP_X, MLC_STR_MAP_KEYS, MLC_STR_MAP_VALS, MLC_STR_MAP_DEF,
       MLC_STR_MAP_Y, MLC_STR_MAP_NIO };
/* regex_match */
enum { MLC_REGEX_MATCH_X, MLC_REGEX_MATCH_PROGRAM, MLC_REGEX_MATCH_Y,
       MLC_REGEX_MATCH_SCRATCH, MLC_REGEX_MATCH_NIO };

enum { MLC_STR_NONE, MLC_STR_LOWER, MLC_STR_UPPER };
enum { MLC_RX_CHAR, MLC_RX_ANY, MLC_RX_CLASS, MLC_RX_SPLIT, MLC_RX_JMP, MLC_RX_MATCH,
       MLC_RX_BOL, MLC_RX_EOL, MLC_RX_WORDB, MLC_RX_NWORDB };

#ifdef __cplusplus
}
#endif
#endif /* MLC_RT_STRING_H */
