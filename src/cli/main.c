/* main.c — placeholder until the CLI lands. */
#include <stdio.h>
int main(void)
{
    puts("tinyforge " TFG_VERSION);
    return 0;
}
