/* log.h — leveled log messages. The CLI owns the sink (stderr by default) and the level
 * (-q, -v); libraries only call tfg_log and never write to a stream themselves. */
#ifndef TFG_CORE_LOG_H
#define TFG_CORE_LOG_H

typedef enum { TFG_LOG_ERROR, TFG_LOG_WARN, TFG_LOG_INFO, TFG_LOG_DEBUG } tfg_log_level;

typedef void (*tfg_log_sink)(tfg_log_level level, const char *msg, void *user);

void tfg_log_set_level(tfg_log_level max);
tfg_log_level tfg_log_get_level(void);
/* NULL restores the default sink (stderr, "tinyforge: warning: ..."). */
void tfg_log_set_sink(tfg_log_sink sink, void *user);
void tfg_log(tfg_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif
