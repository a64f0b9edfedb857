package dev.wechatauth.testkit;

import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.reactivestreams.Publisher;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * A real HTTP server that answers {@code GET /sns/jscode2session} the way WeChat does: every answer, errors too, is
 * HTTP 200 with JSON labelled {@code text/plain}; each issued code works once, for the app it was issued to.
 *
 * <p>Checks run in this order: unknown appid (40013), wrong secret (40125), grant_type other than
 * {@code authorization_code} (40002), missing js_code (41008), code unknown to this app (40029), code already used
 * (40163). A {@linkplain #scriptAll(Reply) reply scripted for all requests}, then one
 * {@linkplain #script(String, Reply) scripted for the code}, take precedence over all of them. Other paths answer 404.
 *
 * <p>Thread-safe: two concurrent exchanges of one code see exactly one success.
 */
public final class WechatStandIn implements AutoCloseable {

    /** The path of WeChat's code2Session API. */
    public static final String CODE2SESSION_PATH = "/sns/jscode2session";

    private record CodeKey(String appid, String code) {
    }

    private record IssuedCode(String openid, String unionid, String sessionKey, AtomicBoolean used) {
    }

    private final Map<String, String> secrets = new ConcurrentHashMap<>();
    private final Map<CodeKey, IssuedCode> codes = new ConcurrentHashMap<>();
    private final Map<String, Reply> scripts = new ConcurrentHashMap<>();
    private final AtomicReference<Reply> scriptAll = new AtomicReference<>();
    private final AtomicInteger calls = new AtomicInteger();
    private final Map<String, AtomicInteger> callsByCode = new ConcurrentHashMap<>();
    private final AtomicReference<String> lastQuery = new AtomicReference<>();
    private final LocalHttpServer server;

    private WechatStandIn() {
        this.server = new LocalHttpServer(this::handle);
    }

    /** Starts a stand-in on 127.0.0.1 and a free port. */
    public static WechatStandIn start() {
        return new WechatStandIn();
    }

    /** {@code http://127.0.0.1:PORT}, no trailing slash: what the gateway uses instead of WeChat's base URL. */
    public String baseUrl() {
        return server.baseUrl();
    }

    /** Makes {@code appid} known, with its secret. Registering it again replaces the secret. */
    public void registerApp(String appid, String secret) {
        secrets.put(Objects.requireNonNull(appid, "appid"), Objects.requireNonNull(secret, "secret"));
    }

    /**
     * Issues a code for {@code appid}, as {@code wx.login()} would: its first exchange answers the openid, the
     * session_key and, when not null, the unionid; every later one answers 40163. Issuing it again makes it fresh.
     */
    public void issueCode(String appid, String code, String openid, String unionid, String sessionKey) {
        Objects.requireNonNull(openid, "openid");
        Objects.requireNonNull(sessionKey, "sessionKey");
        codes.put(new CodeKey(Objects.requireNonNull(appid, "appid"), Objects.requireNonNull(code, "code")),
                new IssuedCode(openid, unionid, sessionKey, new AtomicBoolean()));
    }

    /** Every exchange of {@code code} (for any app) answers {@code reply}, and the code is not consumed. */
    public void script(String code, Reply reply) {
        scripts.put(Objects.requireNonNull(code, "code"), Objects.requireNonNull(reply, "reply"));
    }

    /** Every request answers {@code reply} until {@link #clearScripts()}. */
    public void scriptAll(Reply reply) {
        scriptAll.set(Objects.requireNonNull(reply, "reply"));
    }

    /** Removes every scripted reply, for all requests and per code. */
    public void clearScripts() {
        scriptAll.set(null);
        scripts.clear();
    }

    /** Requests received since the start or the last {@link #resetCounters()}, on any path. */
    public int calls() {
        return calls.get();
    }

    /** Requests received whose {@code js_code} was {@code code}. */
    public int calls(String code) {
        AtomicInteger count = callsByCode.get(code);
        return count == null ? 0 : count.get();
    }

    /** The raw (still URL-encoded) query string of the last request, or null if none came or it had none. */
    public String lastQuery() {
        return lastQuery.get();
    }

    /** Sets the call counters back to zero and forgets the last query. Apps, codes and scripts stay. */
    public void resetCounters() {
        calls.set(0);
        callsByCode.clear();
        lastQuery.set(null);
    }

    /** Stops the server and closes its connections. */
    @Override
    public void close() {
        server.close();
    }

    private Publisher<Void> handle(HttpServerRequest request, HttpServerResponse response) {
        calls.incrementAndGet();
        String uri = request.uri();
        int question = uri.indexOf('?');
        lastQuery.set(question < 0 ? null : uri.substring(question + 1));
        QueryStringDecoder decoder = new QueryStringDecoder(uri);
        Map<String, List<String>> params = decoder.parameters();
        String code = param(params, "js_code");
        if (code != null) {
            callsByCode.computeIfAbsent(code, key -> new AtomicInteger()).incrementAndGet();
        }

        Reply scripted = scriptAll.get();
        if (scripted == null && code != null) {
            scripted = scripts.get(code);
        }
        if (scripted != null) {
            return scripted.respond(response);
        }
        if (!CODE2SESSION_PATH.equals(decoder.path())) {
            return Reply.sendText(response, 404, "404 Not Found");
        }
        return Reply.sendText(response, 200, exchange(param(params, "appid"), param(params, "secret"),
                param(params, "grant_type"), code));
    }

    private String exchange(String appid, String secret, String grantType, String code) {
        String knownSecret = appid == null ? null : secrets.get(appid);
        if (knownSecret == null) {
            return Reply.errorJson(40013);
        }
        if (!knownSecret.equals(secret)) {
            return Reply.errorJson(40125);
        }
        if (!"authorization_code".equals(grantType)) {
            return Reply.errorJson(40002);
        }
        if (code == null || code.isEmpty()) {
            return Reply.errorJson(41008);
        }
        IssuedCode issued = codes.get(new CodeKey(appid, code));
        if (issued == null) {
            return Reply.errorJson(40029);
        }
        if (!issued.used().compareAndSet(false, true)) {
            return Reply.errorJson(40163);
        }
        Map<String, Object> session = new LinkedHashMap<>();
        session.put("openid", issued.openid());
        session.put("session_key", issued.sessionKey());
        if (issued.unionid() != null) {
            session.put("unionid", issued.unionid());
        }
        return Reply.json(session);
    }

    private static String param(Map<String, List<String>> params, String name) {
        List<String> values = params.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }
}
