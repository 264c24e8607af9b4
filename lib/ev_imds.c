#include "ev_imds.h"
