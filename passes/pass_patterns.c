/* stub */
#include "passes.h"
void pass_patterns(Graph *g) { (void)g; }
