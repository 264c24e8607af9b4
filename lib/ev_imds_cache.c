#include "ev_imds_cache.h"
