package dev.wechatauth.plugin.wechat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

import cn.binarywang.wx.miniapp.bean.WxMaJscode2SessionResult;
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

/**
 * Calls WeChat's {@code auth.code2Session} ({@code GET /sns/jscode2session}) without blocking.
 * <p>
 * The body is read as text whatever its {@code Content-Type} (WeChat labels its JSON {@code text/plain}), capped at
 * a size, and read strictly (every field of the right JSON type and shape) into WxJava's
 * {@link WxMaJscode2SessionResult} after checking {@code errcode}. Redirects are not
 * followed. A call is never retried: a code that reached WeChat is used. Every failure becomes a
 * {@link GatewayErrorException}; none carries the request URI, which holds the secret.
 */
public class WechatClient {

    static final String PATH = "/sns/jscode2session";
    private static final Pattern SESSION_KEY = Pattern.compile("^[A-Za-z0-9+/=]{1,256}$");
    /** WeChat's documented wait after 45011 (frequency limit: 100 calls per user per minute). */
    private static final Duration WECHAT_RATE_LIMIT_WAIT = Duration.ofSeconds(60);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final WebClient webClient;
    private final String endpoint;
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
        this.endpoint = (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + PATH;
        this.timeout = timeout;
        this.maxReplyBytes = maxReplyBytes;
    }

    /** Exchanges a {@code wx.login} code of {@code app} for the user's identity. */
    public Mono<WechatIdentity> code2Session(MiniProgram app, String code) {
        return Mono.defer(() -> webClient.get()
                        .uri(uri(app, code))
                        .accept(MediaType.ALL)
                        .exchangeToMono(this::read))
                .timeout(timeout)
                .onErrorMap(failure -> !(failure instanceof GatewayErrorException), WechatClient::translate)
                .map(body -> identity(app.appid(), body));
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
        JsonNode errcode = json.get("errcode");
        if (errcode != null && !errcode.isNull()) {
            if (!errcode.isIntegralNumber() || !errcode.canConvertToInt()) {
                throw new GatewayErrorException(GatewayError.WECHAT_ERROR);
            }
            int code = errcode.intValue();
            if (code != 0) {
                GatewayError error = WechatErrcodes.toError(code);
                throw new GatewayErrorException(error,
                        error == GatewayError.WECHAT_RATE_LIMITED ? WECHAT_RATE_LIMIT_WAIT : null);
            }
        }
        WxMaJscode2SessionResult result = new WxMaJscode2SessionResult();
        result.setOpenid(string(json, "openid", WechatIdentity.IDENTIFIER, true));
        result.setUnionid(string(json, "unionid", WechatIdentity.IDENTIFIER, false));
        result.setSessionKey(string(json, "session_key", SESSION_KEY, true));
        return new WechatIdentity(appid, result.getOpenid(), result.getUnionid(), result.getSessionKey());
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
