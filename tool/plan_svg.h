#ifndef MLC_PLAN_SVG_H
#define MLC_PLAN_SVG_H

#include <stdio.h>

#include "plan.h"

/* the memory plan as an SVG picture: steps across, offsets down */
void plan_svg(const Plan *p, FILE *f);

#endif
