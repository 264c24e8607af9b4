#ifndef EV_VERDICT_H
#define EV_VERDICT_H
#endif
