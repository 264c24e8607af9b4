#include "ev_record.h"
