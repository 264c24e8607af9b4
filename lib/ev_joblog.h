#ifndef EV_JOBLOG_H
#define EV_JOBLOG_H
#endif
