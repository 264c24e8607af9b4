#include "ev_devices.h"
