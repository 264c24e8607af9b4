#include "ev_state.h"
