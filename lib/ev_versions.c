#include "ev_versions.h"
