/* The wire header and encoder must compile as strict C99/C11 (the kernel
 * driver and agent are C). This file is built with -std=c99 -pedantic. */
#include <proctree/wire_encode.h>

int proctree_wire_c_check(void);
int proctree_wire_c_check(void)
{
    unsigned char buf[128];
    struct pt_create_args a = {{0, 0, 0}, {0, 0, 0}, 0,      0,      PT_UID_UNKNOWN, 0,
                               1,         {0, 0},    {0, 0}, {0, 0}, {0, 0},         {0, 0, 0, 0}};
    return (int)pt_encode_process_create(buf, sizeof buf, 0, 0, &a);
}
