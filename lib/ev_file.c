#include "ev_file.h"
