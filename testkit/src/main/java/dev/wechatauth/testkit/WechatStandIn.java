package dev.wechatauth.testkit;

import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real HTTP server that answers {@code GET /sns/jscode2session} the way WeChat does: every answer, errors too, is
 * HTTP 200 with JSON labelled {@code text/plain}; each issued code works once, for the app it was issued to.
 *
 * <p>Checks run in this order: unknown appid (40013), wrong secret (40125), grant_type other than
 * {@code authorization_code} (40002), missing js_code (41008), code unknown to this app (40029), code already used
 * (40163). A {@linkplain #scriptAll(Reply) reply scripted for all requests}, then one
 * {@linkplain #script(String, Reply) scripted for the code}, take precedence over all of them. Other paths answer 404.
 *
 * <p>It also answers, like WeChat:
 * <ul>
 * <li>{@code POST /cgi-bin/stable_token} ({@code {"grant_type":"client_credential","appid","secret","force_refresh"}}):
 * unknown appid 40013, wrong secret 40125, other grant_type 40002, a body that is not JSON 47001. An app's token is
 * handed out again, with the seconds it has left as {@code expires_in}, until it is within
 * {@linkplain #accessTokenRenewWithin(Duration) the renewal window} of its expiry or no longer valid; then a new one
 * ({@linkplain #accessTokenLifetime(Duration) lifetime} 7200 s by default) is made, and the old one stays valid until
 * it expires. {@code force_refresh:true} invalidates the current token at once. Calls are
 * {@linkplain #stableTokenCalls() counted}; a {@linkplain #scriptStableToken(Reply) scripted reply} takes precedence.</li>
 * <li>{@code POST /wxa/business/getuserphonenumber?access_token=…} ({@code {"code"}}): a token never issued or
 * {@linkplain #invalidateAccessTokens(String) invalidated} 40001, an expired one 42001, a phone code not
 * {@linkplain #issuePhoneCode issued} for the token's app, or already used, 40029; else the phone number with a
 * watermark naming the app (or the appid the code was issued with). A {@linkplain #scriptPhone(String, Reply) reply
 * scripted for the code} takes precedence over all of these.</li>
 * </ul>
 *
 * <p>Thread-safe: two concurrent exchanges of one code see exactly one success.
 */
public final class WechatStandIn implements AutoCloseable {

    /** The path of WeChat's code2Session API. */
    public static final String CODE2SESSION_PATH = "/sns/jscode2session";
    /** The path of WeChat's stable access_token API. */
    public static final String STABLE_TOKEN_PATH = "/cgi-bin/stable_token";
    /** The path of WeChat's phone-number API. */
    public static final String PHONE_NUMBER_PATH = "/wxa/business/getuserphonenumber";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private record AccessTokenState(String appid, long expiresAtNanos, AtomicBoolean invalidated) {
    }

    private record PhoneCode(String appid, String phoneNumber, String purePhoneNumber, String countryCode,
            String watermarkAppid, AtomicBoolean used) {
    }

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
    private final Map<String, String> currentAccessTokens = new ConcurrentHashMap<>();
    private final Map<String, AccessTokenState> accessTokens = new ConcurrentHashMap<>();
    private final AtomicReference<Duration> accessTokenLifetime = new AtomicReference<>(Duration.ofSeconds(7200));
    private final AtomicReference<Duration> accessTokenRenewWithin = new AtomicReference<>(Duration.ofMinutes(5));
    private final AtomicReference<Reply> stableTokenScript = new AtomicReference<>();
    private final AtomicInteger stableTokenCalls = new AtomicInteger();
    private final Map<String, PhoneCode> phoneCodes = new ConcurrentHashMap<>();
    private final Map<String, Reply> phoneScripts = new ConcurrentHashMap<>();
    private final AtomicInteger phoneCalls = new AtomicInteger();
    private final AtomicInteger refusedAccessTokens = new AtomicInteger();
    private final SecureRandom random = new SecureRandom();
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
        stableTokenScript.set(null);
        phoneScripts.clear();
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
        stableTokenCalls.set(0);
        phoneCalls.set(0);
        refusedAccessTokens.set(0);
    }

    // --- access_token (stable_token) ---

    /** How long a new access_token lives (default 7200 s, as WeChat's). */
    public void accessTokenLifetime(Duration lifetime) {
        accessTokenLifetime.set(Objects.requireNonNull(lifetime, "lifetime"));
    }

    /**
     * How close to its expiry a token must be for a normal stable_token call to make a new one (default 5 minutes);
     * before that the same token is handed out again. {@code Duration.ZERO}: only once it expired.
     */
    public void accessTokenRenewWithin(Duration window) {
        accessTokenRenewWithin.set(Objects.requireNonNull(window, "window"));
    }

    /** Every stable_token request answers {@code reply} (and makes no token) until {@link #clearScripts()}. */
    public void scriptStableToken(Reply reply) {
        stableTokenScript.set(Objects.requireNonNull(reply, "reply"));
    }

    /** stable_token requests received since the start or the last {@link #resetCounters()}, scripted ones included. */
    public int stableTokenCalls() {
        return stableTokenCalls.get();
    }

    /** The access_token a normal stable_token call for {@code appid} would hand out now, or null if none is valid. */
    public String currentAccessToken(String appid) {
        String token = currentAccessTokens.get(appid);
        return token != null && valid(accessTokens.get(token)) ? token : null;
    }

    /**
     * Invalidates every access_token of {@code appid} at once, as a {@code force_refresh} by someone else would: APIs
     * answer 40001 to them, and the next stable_token call makes a new one.
     */
    public void invalidateAccessTokens(String appid) {
        accessTokens.values().stream().filter(state -> state.appid().equals(appid))
                .forEach(state -> state.invalidated().set(true));
    }

    /** Makes every access_token of {@code appid} expired at once: APIs answer 42001 to them. */
    public void expireAccessTokens(String appid) {
        long now = System.nanoTime();
        accessTokens.replaceAll((token, state) -> state.appid().equals(appid)
                ? new AccessTokenState(state.appid(), now, state.invalidated()) : state);
    }

    // --- phone number (getuserphonenumber) ---

    /**
     * Issues a phone code for {@code appid}, as the {@code getPhoneNumber} button would: its first use with one of the
     * app's valid access_tokens answers this number, with a watermark naming the app; every later one answers 40029.
     */
    public void issuePhoneCode(String appid, String code, String phoneNumber, String purePhoneNumber,
            String countryCode) {
        issuePhoneCode(appid, code, phoneNumber, purePhoneNumber, countryCode, appid);
    }

    /** As {@link #issuePhoneCode(String, String, String, String, String)}, with another appid in the watermark. */
    public void issuePhoneCode(String appid, String code, String phoneNumber, String purePhoneNumber,
            String countryCode, String watermarkAppid) {
        phoneCodes.put(Objects.requireNonNull(code, "code"), new PhoneCode(Objects.requireNonNull(appid, "appid"),
                phoneNumber, purePhoneNumber, countryCode, watermarkAppid, new AtomicBoolean()));
    }

    /** Every getuserphonenumber request with this phone code answers {@code reply}; the code is not consumed. */
    public void scriptPhone(String code, Reply reply) {
        phoneScripts.put(Objects.requireNonNull(code, "code"), Objects.requireNonNull(reply, "reply"));
    }

    /** getuserphonenumber requests received since the start or the last {@link #resetCounters()}. */
    public int phoneCalls() {
        return phoneCalls.get();
    }

    /** getuserphonenumber requests answered 40001 or 42001 (the access_token refused) since the last reset. */
    public int refusedAccessTokens() {
        return refusedAccessTokens.get();
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
        if (STABLE_TOKEN_PATH.equals(decoder.path()) || PHONE_NUMBER_PATH.equals(decoder.path())) {
            return request.receive().aggregate().asString(StandardCharsets.UTF_8).defaultIfEmpty("")
                    .flatMap(body -> Mono.from(STABLE_TOKEN_PATH.equals(decoder.path())
                            ? stableToken(body, response)
                            : phoneNumber(param(params, "access_token"), body, response)));
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

    private Publisher<Void> stableToken(String body, HttpServerResponse response) {
        stableTokenCalls.incrementAndGet();
        Reply scripted = stableTokenScript.get();
        if (scripted != null) {
            return scripted.respond(response);
        }
        return Reply.sendText(response, 200, stableTokenAnswer(body));
    }

    private synchronized String stableTokenAnswer(String body) {
        JsonNode request = readObject(body);
        if (request == null) {
            return Reply.errorJson(47001);
        }
        if (!"client_credential".equals(text(request, "grant_type"))) {
            return Reply.errorJson(40002);
        }
        String appid = text(request, "appid");
        String knownSecret = appid == null ? null : secrets.get(appid);
        if (knownSecret == null) {
            return Reply.errorJson(40013);
        }
        if (!knownSecret.equals(text(request, "secret"))) {
            return Reply.errorJson(40125);
        }
        long now = System.nanoTime();
        String current = currentAccessTokens.get(appid);
        AccessTokenState state = current == null ? null : accessTokens.get(current);
        if (request.path("force_refresh").asBoolean(false) && state != null) {
            state.invalidated().set(true);
        }
        if (!valid(state) || state.expiresAtNanos() - now <= accessTokenRenewWithin.get().toNanos()) {
            byte[] bytes = new byte[48];
            random.nextBytes(bytes);
            current = "AT_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
            state = new AccessTokenState(appid, now + accessTokenLifetime.get().toNanos(), new AtomicBoolean());
            accessTokens.put(current, state);
            currentAccessTokens.put(appid, current);
        }
        long secondsLeft = Math.max(1, (state.expiresAtNanos() - now + 999_999_999L) / 1_000_000_000L);
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("access_token", current);
        answer.put("expires_in", secondsLeft);
        return Reply.json(answer);
    }

    private Publisher<Void> phoneNumber(String accessToken, String body, HttpServerResponse response) {
        phoneCalls.incrementAndGet();
        JsonNode request = readObject(body);
        String code = request == null ? null : text(request, "code");
        Reply scripted = code == null ? null : phoneScripts.get(code);
        if (scripted != null) {
            return scripted.respond(response);
        }
        AccessTokenState state = accessToken == null ? null : accessTokens.get(accessToken);
        if (state == null || state.invalidated().get()) {
            refusedAccessTokens.incrementAndGet();
            return Reply.sendText(response, 200, Reply.errorJson(40001));
        }
        if (System.nanoTime() - state.expiresAtNanos() >= 0) {
            refusedAccessTokens.incrementAndGet();
            return Reply.sendText(response, 200, Reply.errorJson(42001));
        }
        if (request == null) {
            return Reply.sendText(response, 200, Reply.errorJson(47001));
        }
        PhoneCode issued = code == null ? null : phoneCodes.get(code);
        if (issued == null || !issued.appid().equals(state.appid()) || !issued.used().compareAndSet(false, true)) {
            return Reply.sendText(response, 200, Reply.errorJson(40029));
        }
        Map<String, Object> watermark = new LinkedHashMap<>();
        watermark.put("timestamp", Instant.now().getEpochSecond());
        watermark.put("appid", issued.watermarkAppid());
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("phoneNumber", issued.phoneNumber());
        info.put("purePhoneNumber", issued.purePhoneNumber());
        info.put("countryCode", issued.countryCode());
        info.put("watermark", watermark);
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("errcode", 0);
        answer.put("errmsg", "ok");
        answer.put("phone_info", info);
        return Reply.sendText(response, 200, Reply.json(answer));
    }

    private static boolean valid(AccessTokenState state) {
        return state != null && !state.invalidated().get() && state.expiresAtNanos() - System.nanoTime() > 0;
    }

    private static JsonNode readObject(String body) {
        try {
            JsonNode node = JSON.readTree(body);
            return node != null && node.isObject() ? node : null;
        } catch (JacksonException notJson) {
            return null;
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value != null && value.isString() ? value.asString() : null;
    }

    private static String param(Map<String, List<String>> params, String name) {
        List<String> values = params.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }
}
