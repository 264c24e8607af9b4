#include "ev_json.h"
