package dev.wechatauth.plugin.phone;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import dev.wechatauth.plugin.exchange.BodyReader;
import dev.wechatauth.plugin.exchange.Forwarding;
import dev.wechatauth.plugin.exchange.JsonAnswer;
import dev.wechatauth.plugin.exchange.ReadBody;
import dev.wechatauth.plugin.identity.BearerToken;
import dev.wechatauth.plugin.identity.DownstreamIdentity;
import dev.wechatauth.plugin.identity.RequiredSession;
import dev.wechatauth.plugin.routing.PolicyHandler;
import dev.wechatauth.plugin.routing.RouteTarget;
import dev.wechatauth.plugin.session.Session;
import dev.wechatauth.plugin.wechat.MiniPrograms;
import dev.wechatauth.plugin.wechat.PhoneNumber;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * The phone-number request, on routes whose policy is {@code phone}, top to bottom:
 * <ol>
 * <li>Session: the bearer token's session, as on a {@code required} route (401 {@code missing_token} /
 * {@code invalid_token}).</li>
 * <li>Method {@code POST} (else 405), then the body: the phone code, as JSON or a form, at most the configured
 * size.</li>
 * <li>Exchange: getuserphonenumber for the session's mini-program, with its shared access_token; every value
 * WeChat gives is checked, and its watermark must name that mini-program.</li>
 * <li>Answer ({@code uri: no://op}): {@code {"phoneNumber","purePhoneNumber","countryCode"}}; or forward: the body
 * intact, the client's identity-like headers ({@code X-Phone-*} included) and {@code Authorization} replaced by the
 * session's identity, its JWT and {@code X-Phone-Number}, {@code X-Pure-Phone-Number}, {@code X-Phone-Country-Code}.</li>
 * </ol>
 */
public class PhoneRoute implements PolicyHandler {

    public static final String PHONE_NUMBER_HEADER = "X-Phone-Number";
    public static final String PURE_PHONE_NUMBER_HEADER = "X-Pure-Phone-Number";
    public static final String COUNTRY_CODE_HEADER = "X-Phone-Country-Code";

    private final RequiredSession sessions;
    private final BodyReader bodies;
    private final MiniPrograms apps;
    private final PhoneNumbers phones;
    private final DownstreamIdentity identity;

    public PhoneRoute(RequiredSession sessions, BodyReader bodies, MiniPrograms apps, PhoneNumbers phones,
            DownstreamIdentity identity) {
        this.sessions = sessions;
        this.bodies = bodies;
        this.apps = apps;
        this.phones = phones;
        this.identity = identity;
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, GatewayFilterChain chain, RouteTarget route) {
        ServerHttpRequest request = exchange.getRequest();
        return sessions.of(request.getHeaders())
                .flatMap(session -> body(request)
                        .flatMap(body -> phones.of(apps.app(session.appid())
                                        .orElseThrow(() -> new GatewayErrorException(GatewayError.UNKNOWN_APP)),
                                        body.value().code())
                                .flatMap(phone -> route.answersItself()
                                        ? JsonAnswer.write(exchange, json(phone))
                                        : Forwarding.forward(exchange, chain, body,
                                                headers -> headers(headers, session, phone, route),
                                                headers -> { }))));
    }

    private Mono<ReadBody<PhoneRequest>> body(ServerHttpRequest request) {
        return request.getMethod() == HttpMethod.POST
                ? bodies.read(request, PhoneRequest::fromJson, PhoneRequest::fromForm)
                : Mono.error(GatewayErrorException.methodNotAllowed(HttpMethod.POST));
    }

    /** The bearer token is still in {@code headers}: they are the client's, about to be changed. */
    private void headers(HttpHeaders headers, Session session, PhoneNumber phone, RouteTarget route) {
        identity.identify(headers, session, BearerToken.from(headers).token(), route);
        headers.set(PHONE_NUMBER_HEADER, phone.phoneNumber());
        headers.set(PURE_PHONE_NUMBER_HEADER, phone.purePhoneNumber());
        headers.set(COUNTRY_CODE_HEADER, phone.countryCode());
    }

    /** Every value was checked to be digits (and a leading {@code +}), so none needs escaping. */
    static String json(PhoneNumber phone) {
        return "{\"phoneNumber\":\"" + phone.phoneNumber() + "\",\"purePhoneNumber\":\"" + phone.purePhoneNumber()
                + "\",\"countryCode\":\"" + phone.countryCode() + "\"}";
    }
}
