#include "ev_joblog.h"
