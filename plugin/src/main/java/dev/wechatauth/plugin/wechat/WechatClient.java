package dev.wechatauth.plugin.wechat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import cn.binarywang.wx.miniapp.bean.Watermark;
import cn.binarywang.wx.miniapp.bean.WxMaJscode2SessionResult;
import cn.binarywang.wx.miniapp.bean.WxMaPhoneNumberInfo;
import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import io.netty.handler.timeout.ReadTimeoutException;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.BodyExtractors;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import org.springframework.web.util.UriComponentsBuilder;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Calls WeChat's APIs without blocking: {@code auth.code2Session} ({@code GET /sns/jscode2session}), the stable
 * access_token ({@code POST /cgi-bin/stable_token}) and the phone number
 * ({@code POST /wxa/business/getuserphonenumber}).
 * <p>
 * The body is read as text whatever its {@code Content-Type} (WeChat labels its JSON {@code text/plain}), capped at
 * a size, and read strictly (every field of the right JSON type and shape) into WxJava's models
 * ({@link WxMaJscode2SessionResult}, {@link WxMaPhoneNumberInfo}) after checking {@code errcode}. Redirects are not
 * followed. A call is never retried here: a code that reached WeChat is used (the one retry the gateway makes, after
 * WeChat refused an access_token, is the caller's). Every failure becomes a {@link GatewayErrorException}; none
 * carries the request URI or body, which hold the secret or the access_token.
 */
public class WechatClient {

    static final String PATH = "/sns/jscode2session";
    static final String STABLE_TOKEN_PATH = "/cgi-bin/stable_token";
    static final String PHONE_PATH = "/wxa/business/getuserphonenumber";
    private static final Pattern SESSION_KEY = Pattern.compile("^[A-Za-z0-9+/=]{1,256}$");
    /**
     * What an access_token must look like before it is kept or put in a query string: WeChat's are letters, digits,
     * {@code _} and {@code -} (at most 512 characters, as WeChat asks to reserve); URL-unreserved characters only, so
     * that it appears in a URI exactly as it is.
     */
    static final Pattern ACCESS_TOKEN = Pattern.compile("^[A-Za-z0-9._~-]{1,512}$");
    /** The longest access_token lifetime believed; WeChat's are at most 7200 s. */
    private static final long MAX_EXPIRES_IN_SECONDS = 86_400;
    /** {@code phoneNumber}: the number with its country code, optionally with {@code +}. */
    static final Pattern PHONE_NUMBER = Pattern.compile("^\\+?[0-9]{1,20}$");
    /** {@code purePhoneNumber}: the number without its country code. */
    static final Pattern PURE_PHONE_NUMBER = Pattern.compile("^[0-9]{1,20}$");
    /** {@code countryCode}. */
    static final Pattern COUNTRY_CODE = Pattern.compile("^[0-9]{1,6}$");
    /** WeChat's documented wait after 45011 (frequency limit: 100 calls per user per minute). */
    private static final Duration WECHAT_RATE_LIMIT_WAIT = Duration.ofSeconds(60);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final WebClient webClient;
    private final String endpoint;
    private final String stableTokenEndpoint;
    private final String phoneEndpoint;
    private final Duration timeout;
    private final int maxReplyBytes;

    /**
     * @param webClient a client that follows no redirects (see {@link WechatHttpClients})
     * @param apiBaseUrl where WeChat's API is, e.g. {@code https://api.weixin.qq.com}
     * @param timeout the longest one call may take
     * @param maxReplyBytes the largest answer read; a larger one is a {@code wechat_error}
     */
    public WechatClient(WebClient webClient, URI apiBaseUrl, Duration timeout, int maxReplyBytes) {
        this.webClient = webClient;
        String base = apiBaseUrl.toString();
        String root = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.endpoint = root + PATH;
        this.stableTokenEndpoint = root + STABLE_TOKEN_PATH;
        this.phoneEndpoint = root + PHONE_PATH;
        this.timeout = timeout;
        this.maxReplyBytes = maxReplyBytes;
    }

    /** Exchanges a {@code wx.login} code of {@code app} for the user's identity. */
    public Mono<WechatIdentity> code2Session(MiniProgram app, String code) {
        return send(() -> webClient.get()
                        .uri(uri(app, code))
                        .accept(MediaType.ALL))
                .map(body -> identity(app.appid(), body));
    }

    /**
     * Asks for {@code app}'s access_token in the stable mode: {@code {"grant_type":"client_credential","appid",
     * "secret","force_refresh":false}}, which returns the token every caller shares while it is valid.
     */
    public Mono<AccessToken> stableToken(MiniProgram app) {
        return Mono.fromSupplier(() -> {
                    ObjectNode request = JSON.createObjectNode()
                            .put("grant_type", "client_credential")
                            .put("appid", app.appid())
                            .put("secret", app.secret())
                            .put("force_refresh", false);
                    return JSON.writeValueAsBytes(request);
                })
                .flatMap(body -> send(() -> webClient.post()
                        .uri(URI.create(stableTokenEndpoint))
                        .contentType(MediaType.APPLICATION_JSON)
                        .accept(MediaType.ALL)
                        .bodyValue(body)))
                .map(WechatClient::accessToken);
    }

    /**
     * Exchanges a phone code (from the mini-program's {@code getPhoneNumber} button) of a user of {@code appid} for the
     * phone number, with {@code accessToken}. WeChat refusing the access_token (40001, 42001) is an answer, not an
     * error: the caller takes a new token and retries once.
     */
    public Mono<TokenReply<PhoneNumber>> phoneNumber(String appid, String accessToken, String code) {
        return Mono.fromSupplier(() -> JSON.writeValueAsBytes(JSON.createObjectNode().put("code", code)))
                .flatMap(body -> send(() -> webClient.post()
                        .uri(UriComponentsBuilder.fromUriString(phoneEndpoint)
                                .query("access_token={token}")
                                .encode()
                                .buildAndExpand(Map.of("token", accessToken))
                                .toUri())
                        .contentType(MediaType.APPLICATION_JSON)
                        .accept(MediaType.ALL)
                        .bodyValue(body)))
                .map(body -> phoneNumber(appid, body));
    }

    /** Sends a request, reads its answer as text, and turns every transport failure into a gateway error. */
    private Mono<String> send(Supplier<WebClient.RequestHeadersSpec<?>> request) {
        return Mono.defer(() -> request.get().exchangeToMono(this::read))
                .timeout(timeout)
                .onErrorMap(failure -> !(failure instanceof GatewayErrorException), WechatClient::translate);
    }

    private URI uri(MiniProgram app, String code) {
        return UriComponentsBuilder.fromUriString(endpoint)
                .query("appid={appid}&secret={secret}&js_code={code}&grant_type=authorization_code")
                .encode()
                .buildAndExpand(Map.of("appid", app.appid(), "secret", app.secret(), "code", code))
                .toUri();
    }

    private Mono<String> read(ClientResponse response) {
        int status = response.statusCode().value();
        if (status == 200) {
            return DataBufferUtils.join(response.body(BodyExtractors.toDataBuffers()), maxReplyBytes)
                    .map(WechatClient::text)
                    .defaultIfEmpty("");
        }
        GatewayError error = response.statusCode().is5xxServerError()
                ? GatewayError.WECHAT_UNAVAILABLE : GatewayError.WECHAT_ERROR;
        return response.releaseBody().then(Mono.error(new GatewayErrorException(error)));
    }

    private static String text(DataBuffer buffer) {
        try {
            return buffer.toString(StandardCharsets.UTF_8);
        } finally {
            DataBufferUtils.release(buffer);
        }
    }

    private static Throwable translate(Throwable failure) {
        if (failure instanceof TimeoutException || failure.getCause() instanceof ReadTimeoutException) {
            return new GatewayErrorException(GatewayError.WECHAT_TIMEOUT);
        }
        if (failure instanceof WebClientRequestException) {
            return new GatewayErrorException(GatewayError.WECHAT_UNAVAILABLE);
        }
        if (failure instanceof DataBufferLimitException) {
            return new GatewayErrorException(GatewayError.WECHAT_ERROR);
        }
        // a connection closed or reset mid-answer surfaces outside WebClientRequestException
        return new GatewayErrorException(GatewayError.WECHAT_UNAVAILABLE);
    }

    /** Reads an HTTP-200 body: an {@code errcode} other than 0, or an identity that must be well formed. */
    static WechatIdentity identity(String appid, String body) {
        JsonNode json = parseObject(body);
        int errcode = errcode(json);
        if (errcode != 0) {
            throw failure(WechatErrcodes.toError(errcode));
        }
        WxMaJscode2SessionResult result = new WxMaJscode2SessionResult();
        result.setOpenid(string(json, "openid", WechatIdentity.IDENTIFIER, true));
        result.setUnionid(string(json, "unionid", WechatIdentity.IDENTIFIER, false));
        result.setSessionKey(string(json, "session_key", SESSION_KEY, true));
        return new WechatIdentity(appid, result.getOpenid(), result.getUnionid(), result.getSessionKey());
    }

    /**
     * Reads a stable_token answer: a well-formed token and lifetime; -1 is {@code wechat_unavailable}, any other
     * {@code errcode} (40013 invalid appid, 40125 invalid secret, a frequency limit …) a {@code wechat_error}.
     */
    static AccessToken accessToken(String body) {
        JsonNode json = parseObject(body);
        int errcode = errcode(json);
        if (errcode != 0) {
            throw new GatewayErrorException(errcode == WechatErrcodes.SYSTEM_BUSY
                    ? GatewayError.WECHAT_UNAVAILABLE : GatewayError.WECHAT_ERROR);
        }
        String token = string(json, "access_token", ACCESS_TOKEN, true);
        JsonNode expiresIn = json.get("expires_in");
        if (expiresIn == null || !expiresIn.isIntegralNumber() || !expiresIn.canConvertToLong()
                || expiresIn.longValue() < 1 || expiresIn.longValue() > MAX_EXPIRES_IN_SECONDS) {
            throw new GatewayErrorException(GatewayError.WECHAT_ERROR);
        }
        return new AccessToken(token, Duration.ofSeconds(expiresIn.longValue()));
    }

    /**
     * Reads a getuserphonenumber answer: the access_token refused (40001, 42001), an invalid or used phone code
     * (40029, 40163: 400 {@code invalid_code}), another {@code errcode} as for a login, or a phone number whose every
     * value has its shape and whose watermark names {@code appid}; anything else is a {@code wechat_error}.
     */
    static TokenReply<PhoneNumber> phoneNumber(String appid, String body) {
        JsonNode json = parseObject(body);
        int errcode = errcode(json);
        if (WechatErrcodes.isAccessTokenRefused(errcode)) {
            return TokenReply.refused();
        }
        if (errcode == WechatErrcodes.INVALID_CODE || errcode == WechatErrcodes.CODE_USED) {
            throw new GatewayErrorException(GatewayError.INVALID_PHONE_CODE);
        }
        if (errcode != 0) {
            throw failure(WechatErrcodes.toError(errcode));
        }
        JsonNode info = json.get("phone_info");
        if (info == null || !info.isObject()) {
            throw new GatewayErrorException(GatewayError.WECHAT_ERROR);
        }
        JsonNode watermark = info.get("watermark");
        if (watermark == null || !watermark.isObject()) {
            throw new GatewayErrorException(GatewayError.WECHAT_ERROR);
        }
        WxMaPhoneNumberInfo phone = new WxMaPhoneNumberInfo();
        phone.setPhoneNumber(string(info, "phoneNumber", PHONE_NUMBER, true));
        phone.setPurePhoneNumber(string(info, "purePhoneNumber", PURE_PHONE_NUMBER, true));
        phone.setCountryCode(string(info, "countryCode", COUNTRY_CODE, true));
        Watermark mark = new Watermark();
        mark.setAppid(string(watermark, "appid", WechatIdentity.IDENTIFIER, true));
        phone.setWatermark(mark);
        if (!appid.equals(phone.getWatermark().getAppid())) {
            throw new GatewayErrorException(GatewayError.WECHAT_ERROR);
        }
        return TokenReply.of(new PhoneNumber(phone.getPhoneNumber(), phone.getPurePhoneNumber(), phone.getCountryCode()));
    }

    /** The {@code errcode} of an answer, 0 when absent or {@code null}; not an integer is a {@code wechat_error}. */
    private static int errcode(JsonNode json) {
        JsonNode errcode = json.get("errcode");
        if (errcode == null || errcode.isNull()) {
            return 0;
        }
        if (!errcode.isIntegralNumber() || !errcode.canConvertToInt()) {
            throw new GatewayErrorException(GatewayError.WECHAT_ERROR);
        }
        return errcode.intValue();
    }

    private static GatewayErrorException failure(GatewayError error) {
        return new GatewayErrorException(error, error == GatewayError.WECHAT_RATE_LIMITED ? WECHAT_RATE_LIMIT_WAIT : null);
    }

    /** A field that must be a JSON string of the given shape; {@code null} when optional and absent. */
    private static String string(JsonNode json, String field, Pattern shape, boolean required) {
        JsonNode value = json.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                throw new GatewayErrorException(GatewayError.WECHAT_ERROR);
            }
            return null;
        }
        if (!value.isString() || !shape.matcher(value.stringValue()).matches()) {
            throw new GatewayErrorException(GatewayError.WECHAT_ERROR);
        }
        return value.stringValue();
    }

    private static JsonNode parseObject(String body) {
        try {
            JsonNode root = JSON.readTree(body);
            if (root != null && root.isObject()) {
                return root;
            }
        } catch (JacksonException unreadable) {
            // falls through to wechat_error
        }
        throw new GatewayErrorException(GatewayError.WECHAT_ERROR);
    }
}
