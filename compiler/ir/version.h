/* The version of mlc: `mlc --version` and the first line of every file it
 * generates. */
#ifndef MLC_VERSION_H
#define MLC_VERSION_H

#define MLC_VERSION "0.1.0"

#endif
