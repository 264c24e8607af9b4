#include "ev_node_info.h"
