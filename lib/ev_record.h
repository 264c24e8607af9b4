#ifndef EV_RECORD_H
#define EV_RECORD_H
#endif
