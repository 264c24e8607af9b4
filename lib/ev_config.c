#include "ev_config.h"
