#ifndef EV_STATE_H
#define EV_STATE_H
#endif
