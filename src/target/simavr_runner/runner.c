/* runner.c — tfg-simavr-runner: runs AVR firmware on simavr with its UART0 bridged to
 * stdin and stdout, so tfg_fw_run (src/target/fw_run.c) talks to an ATmega328P the way it
 * talks to QEMU's -serial stdio. The simavr command has no UART input, hence this.
 *
 *   tfg-simavr-runner -m atmega328p -f 16000000 firmware.elf
 *
 * Bytes from stdin go into the UART only while simavr signals XON (its receive FIFO has
 * room), so none is dropped however fast the host writes. Bytes the firmware transmits
 * go to stdout. The run ends when the firmware sleeps with interrupts off (the
 * firmware's exit: status 0), or when simavr reports a crash (status 3). On exit the
 * runner prints the cycles simulated to stderr ("cycles=N"). The caller's deadline
 * bounds everything else. Host code, outside the tfg_ libraries; prints by design. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <avr_uart.h>
#include <sim_avr.h>
#include <sim_elf.h>
#include <sim_irq.h>

static int g_xon;              /* the UART has signalled room in its receive FIFO */
static unsigned char g_out[4096];
static size_t g_out_len;

static void flush_out(void)
{
    size_t done = 0;
    while (done < g_out_len) {
        ssize_t w = write(STDOUT_FILENO, g_out + done, g_out_len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            exit(4); /* the reader is gone */
        done += (size_t)w;
    }
    g_out_len = 0;
}

static void on_tx(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq;
    (void)param;
    if (g_out_len == sizeof g_out)
        flush_out();
    g_out[g_out_len++] = (unsigned char)value;
    if (value == '\n') /* line by line: the caller tells a hang by silence */
        flush_out();
}

static void on_xon(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq;
    (void)value;
    (void)param;
    g_xon = 1;
}

static void on_xoff(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq;
    (void)value;
    (void)param;
    g_xon = 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: tfg-simavr-runner -m MCU -f HZ FIRMWARE.elf\n");
    return 2;
}

/* Feeds one stdin byte to the UART when it has room; returns 0 at stdin's end. */
static int feed(avr_irq_t *rx, int *stdin_open, unsigned char *buf, size_t *len, size_t *pos)
{
    if (*pos == *len && *stdin_open) {
        struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
        if (poll(&p, 1, 0) > 0) {
            ssize_t r = read(STDIN_FILENO, buf, 4096);
            if (r > 0)
                *len = (size_t)r, *pos = 0;
            else if (r == 0 || errno != EAGAIN)
                *stdin_open = 0;
        }
    }
    if (*pos < *len && g_xon) {
        avr_raise_irq(rx, buf[(*pos)++]);
        return 1;
    }
    return *stdin_open || *pos < *len;
}

int main(int argc, char **argv)
{
    const char *mcu = "atmega328p", *elf = NULL;
    unsigned long freq = 16000000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-m") == 0 && i + 1 < argc)
            mcu = argv[++i];
        else if (strcmp(argv[i], "-f") == 0 && i + 1 < argc)
            freq = strtoul(argv[++i], NULL, 10);
        else if (argv[i][0] != '-' && !elf)
            elf = argv[i];
        else
            return usage();
    }
    if (!elf)
        return usage();
    elf_firmware_t fw;
    memset(&fw, 0, sizeof fw);
    if (elf_read_firmware(elf, &fw) != 0) {
        fprintf(stderr, "tfg-simavr-runner: cannot read %s\n", elf);
        return 2;
    }
    avr_t *avr = avr_make_mcu_by_name(mcu);
    if (!avr) {
        fprintf(stderr, "tfg-simavr-runner: simavr does not know the MCU '%s'\n", mcu);
        return 2;
    }
    avr_init(avr);
    avr->log = LOG_ERROR;
    avr_load_firmware(avr, &fw);
    avr->frequency = (uint32_t)freq;

    uint32_t flags = 0;
    avr_ioctl(avr, AVR_IOCTL_UART_GET_FLAGS('0'), &flags);
    flags &= ~(uint32_t)(AVR_UART_FLAG_STDIO | AVR_UART_FLAG_POLL_SLEEP);
    avr_ioctl(avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);
    avr_irq_t *rx = avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_INPUT);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT),
                            on_tx, NULL);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XON),
                            on_xon, NULL);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XOFF),
                            on_xoff, NULL);

    fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
    unsigned char buf[4096];
    size_t len = 0, pos = 0;
    int stdin_open = 1, state = cpu_Running;
    unsigned long steps = 0;
    while (state != cpu_Done && state != cpu_Crashed) {
        if ((steps++ & 63) == 0)
            feed(rx, &stdin_open, buf, &len, &pos);
        state = avr_run(avr);
        if (g_out_len > 1024)
            flush_out();
    }
    flush_out();
    fprintf(stderr, "cycles=%llu\n", (unsigned long long)avr->cycle);
    if (state == cpu_Crashed) {
        fprintf(stderr, "tfg-simavr-runner: the firmware crashed at pc 0x%x\n", avr->pc);
        return 3;
    }
    return 0;
}
