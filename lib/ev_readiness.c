#include "ev_readiness.h"
