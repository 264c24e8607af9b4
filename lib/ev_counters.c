#include "ev_counters.h"
