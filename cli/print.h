#ifndef EV_PRINT_H
#define EV_PRINT_H
#endif
