#include "ev_env.h"
