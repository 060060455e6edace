/* retry.c — the retry policy in one place: which error classes are worth another
 * attempt (transient ones: no connection, timeouts, 429, 5xx), how long to wait
 * (exponential backoff with jitter, or what Retry-After says), the status each class
 * maps to, and the redaction of a key from text a server sent back. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "llm/internal.h"

static const char *const class_names[] = {
    "none",  "connect",   "timeout",  "rate_limit", "server",    "http",        "truncated",
    "not_json", "protocol", "utf8",  "too_large",  "budget",    "offline_miss", "config",
    "builtin"};

const char *tfg_llm_errclass_name(tfg_llm_errclass c)
{
    return (unsigned)c < sizeof class_names / sizeof class_names[0] ? class_names[c] : "?";
}

bool tfg_llm_retryable(tfg_llm_errclass c)
{
    return c == TFG_LLM_ERR_CONNECT || c == TFG_LLM_ERR_TIMEOUT || c == TFG_LLM_ERR_RATE_LIMIT ||
           c == TFG_LLM_ERR_SERVER;
}

tfg_status tfg_llm_errclass_status(tfg_llm_errclass c)
{
    switch (c) {
    case TFG_LLM_ERR_NONE: return TFG_OK;
    case TFG_LLM_ERR_TIMEOUT: return TFG_ETIMEOUT;
    case TFG_LLM_ERR_BUDGET: return TFG_ECHECK;
    case TFG_LLM_ERR_OFFLINE_MISS:
    case TFG_LLM_ERR_CONFIG: return TFG_EINPUT;
    case TFG_LLM_ERR_BUILTIN: return TFG_EINPUT;
    default: return TFG_EPROC;
    }
}

uint64_t tfg_llm_backoff_ms(int retry, uint64_t base, uint64_t cap, double u)
{
    uint64_t d = base;
    for (int i = 1; i < retry && d < cap; i++)
        d *= 2;
    if (d > cap)
        d = cap;
    return (uint64_t)((double)d * (0.5 + 0.5 * u));
}

int64_t tfg_llm_parse_retry_after(const char *value, int64_t now_s)
{
    while (*value == ' ' || *value == '\t')
        value++;
    char v[128];
    size_t n = strcspn(value, "\r\n");
    if (n == 0 || n >= sizeof v)
        return -1;
    memcpy(v, value, n);
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    v[n] = '\0';
    if (isdigit((unsigned char)v[0])) {
        char *end;
        long long s = strtoll(v, &end, 10);
        if (*end || s < 0 || s > 86400 * 365)
            return -1;
        return (int64_t)s * 1000;
    }
    time_t t = curl_getdate(v, NULL); /* an HTTP date, e.g. "Wed, 21 Oct 2015 07:28:00 GMT" */
    if (t < 0)
        return -1;
    return t <= now_s ? 0 : ((int64_t)t - now_s) * 1000;
}

void tfg_llm_redact(char *s, const char *secret)
{
    static const char mask[] = "***";
    size_t k = secret ? strlen(secret) : 0;
    if (k < 4)
        return;
    char *p;
    while ((p = strstr(s, secret))) {
        memcpy(p, mask, sizeof mask - 1);
        memmove(p + sizeof mask - 1, p + k, strlen(p + k) + 1);
    }
}
