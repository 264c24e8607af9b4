#include <slurm/spank.h>
SPANK_PLUGIN(efa_verify, 1);
