#include "ev_instances.h"
