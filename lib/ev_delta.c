#include "ev_delta.h"
