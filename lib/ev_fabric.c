#include "ev_fabric.h"
