#include "ev_verdict.h"
