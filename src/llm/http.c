/* http.c — one POST of a JSON body over libcurl, and what came back: the status, the
 * body (capped at TFG_LLM_REPLY_MAX), Retry-After, or the transport error as a class.
 *
 * One easy handle per attempt: attempts are seconds apart, so reusing connections would
 * save little and would carry state (a half-dead connection) from one attempt into the
 * next. The key is only ever in the Authorization header list, which is wiped before it
 * is freed; curl's verbose mode (which would print headers) is never switched on. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/alloc.h"
#include "llm/internal.h"

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_OK;

static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

typedef struct {
    tfg_buf buf;
    bool too_large;
} sink;

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
    sink *s = user;
    size_t n = size * nmemb;
    if (s->buf.len + n > TFG_LLM_REPLY_MAX) {
        s->too_large = true;
        return 0; /* curl stops with CURLE_WRITE_ERROR */
    }
    tfg_buf_append(&s->buf, data, n);
    return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *user)
{
    tfg_llm_http_result *res = user;
    size_t n = size * nmemb;
    static const char name[] = "retry-after:";
    if (n > sizeof name - 1 && n < 256 && !strncasecmp(data, name, sizeof name - 1)) {
        char v[256];
        size_t k = n - (sizeof name - 1);
        memcpy(v, data + sizeof name - 1, k);
        v[k] = '\0';
        res->retry_after_ms = tfg_llm_parse_retry_after(v, (int64_t)time(NULL));
    }
    return n;
}

/* Wipes a string in a way the compiler may not drop (no explicit_bzero in C11). */
static void wipe(char *s)
{
    volatile char *p = s;
    while (*p)
        *p++ = '\0';
}

static tfg_llm_errclass transport_class(CURLcode rc)
{
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT: return TFG_LLM_ERR_TIMEOUT;
    case CURLE_WRITE_ERROR: return TFG_LLM_ERR_TOO_LARGE;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL: return TFG_LLM_ERR_CONFIG;
    default: return TFG_LLM_ERR_CONNECT; /* refused, reset, nothing, partial, DNS, TLS */
    }
}

static tfg_llm_errclass status_class(long status)
{
    if (status >= 200 && status < 300)
        return TFG_LLM_ERR_NONE;
    if (status == 429)
        return TFG_LLM_ERR_RATE_LIMIT;
    if (status == 408)
        return TFG_LLM_ERR_TIMEOUT;
    if (status >= 500)
        return TFG_LLM_ERR_SERVER;
    return TFG_LLM_ERR_HTTP;
}

static struct curl_slist *headers(const char *key)
{
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, "Accept: application/json");
    h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip */
    if (key) {
        char *auth = tfg_xasprintf("Authorization: Bearer %s", key);
        h = curl_slist_append(h, auth);
        wipe(auth);
        free(auth);
    }
    return h;
}

static void free_headers(struct curl_slist *h)
{
    for (struct curl_slist *p = h; p; p = p->next)
        wipe(p->data);
    curl_slist_free_all(h);
}

static void setup(CURL *c, const char *url, const char *body, struct curl_slist *h,
                  int64_t connect_ms, int64_t total_ms, sink *s, tfg_llm_http_result *res,
                  char *errbuf)
{
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)connect_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)total_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L); /* a redirect would re-send the key */
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "tinyforge/" TFG_VERSION);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, res);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
}

void tfg_llm_http_post(const char *url, const char *body, const char *key,
                       int64_t connect_ms, int64_t total_ms, tfg_llm_http_result *res)
{
    memset(res, 0, sizeof *res);
    res->retry_after_ms = -1;
    pthread_once(&global_once, global_init);
    CURL *c = global_rc == CURLE_OK ? curl_easy_init() : NULL;
    if (!c) {
        res->cls = TFG_LLM_ERR_CONNECT;
        snprintf(res->detail, sizeof res->detail, "libcurl could not be initialised");
        return;
    }
    char errbuf[CURL_ERROR_SIZE] = "";
    sink s = {{0}, false};
    tfg_buf_init(&s.buf);
    struct curl_slist *h = headers(key);
    setup(c, url, body, h, connect_ms, total_ms, &s, res, errbuf);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
    if (rc != CURLE_OK) {
        res->cls = s.too_large ? TFG_LLM_ERR_TOO_LARGE : transport_class(rc);
        if (s.too_large)
            snprintf(res->detail, sizeof res->detail, "the reply is larger than %zu bytes",
                     TFG_LLM_REPLY_MAX);
        else
            snprintf(res->detail, sizeof res->detail, "%s", *errbuf ? errbuf : curl_easy_strerror(rc));
        tfg_buf_free(&s.buf);
    } else {
        res->cls = status_class(res->status);
        res->len = s.buf.len;
        res->body = tfg_buf_take(&s.buf);
    }
    free_headers(h);
    curl_easy_cleanup(c);
}

void tfg_llm_http_result_free(tfg_llm_http_result *res)
{
    free(res->body);
    res->body = NULL;
}
