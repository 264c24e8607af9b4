#ifndef EV_DELTA_H
#define EV_DELTA_H
#endif
