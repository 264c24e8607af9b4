#include "ev_verbs.h"
