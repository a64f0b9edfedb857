package dev.wechatauth.plugin.admin;

import java.time.Duration;
import java.util.function.Function;

import dev.wechatauth.plugin.endpoints.SessionListJson;
import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import dev.wechatauth.plugin.exchange.BodyReader;
import dev.wechatauth.plugin.session.SessionStore;
import dev.wechatauth.plugin.wechat.MiniPrograms;
import dev.wechatauth.plugin.wechat.WechatIdentity;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * The admin API, for the management port only, every request with {@code Authorization: Bearer <admin token>}
 * ({@link AdminToken}; none is 401 {@code missing_token}, a wrong one 401 {@code invalid_token}):
 * <ul>
 * <li>{@code GET /admin/users/{appid}/{openid}/sessions}: the user's sessions, as {@code /wx/sessions} lists them
 * without {@code current};</li>
 * <li>{@code DELETE /admin/users/{appid}/{openid}/sessions}: every session of the user ends (kick out), 204;</li>
 * <li>{@code PUT /admin/users/{appid}/{openid}/block} with {@code {"seconds":N}}: every session ends and the user's
 * logins get 403 {@code user_blocked} for N seconds, 204; {@code DELETE} lifts the block, 204; {@code GET} answers
 * {@code {"blockedFor":<seconds left>}} or 404 {@code not_found}.</li>
 * </ul>
 * An appid that is not served or an openid that is not a WeChat identifier is 400 {@code invalid_request}; another
 * method 405. Each action is logged at INFO with the action, appid and openid (never a token); every change reaches
 * every instance within a second, as a logout does.
 */
public final class AdminApi {

    private static final Log log = LogFactory.getLog(AdminApi.class);
    private static final String USER = "/admin/users/{appid}/{openid}";

    private final SessionStore sessions;
    private final MiniPrograms apps;
    private final AdminToken token;
    private final BodyReader bodies;

    public AdminApi(SessionStore sessions, MiniPrograms apps, AdminToken token, BodyReader bodies) {
        this.sessions = sessions;
        this.apps = apps;
        this.token = token;
        this.bodies = bodies;
    }

    /** The routes, each checking the admin token first. */
    public RouterFunction<ServerResponse> routes() {
        return RouterFunctions.route(RequestPredicates.path(USER + "/sessions"), request -> user(request, this::sessions))
                .andRoute(RequestPredicates.path(USER + "/block"), request -> user(request, this::block));
    }

    /** A request about one user: the admin token, then the user's appid and openid, then {@code action}. */
    private Mono<ServerResponse> user(ServerRequest request, Function<Target, Mono<ServerResponse>> action) {
        return Mono.defer(() -> {
            token.check(request.headers().asHttpHeaders());
            String appid = request.pathVariable("appid");
            String openid = request.pathVariable("openid");
            if (apps.app(appid).isEmpty() || !WechatIdentity.IDENTIFIER.matcher(openid).matches()) {
                return Mono.error(new GatewayErrorException(GatewayError.INVALID_USER));
            }
            return action.apply(new Target(request, appid, openid));
        }).doOnError(GatewayErrorException.class, refused -> {
            if (refused.error() == GatewayError.MISSING_TOKEN || refused.error() == GatewayError.INVALID_TOKEN) {
                log.warn("Admin API: refused " + request.method() + " without a valid admin token ("
                        + refused.error().code() + ")");
            }
        });
    }

    /** The user a request is about. */
    private record Target(ServerRequest request, String appid, String openid) {

        HttpMethod method() {
            return request.method();
        }
    }

    private Mono<ServerResponse> sessions(Target user) {
        if (user.method() == HttpMethod.GET) {
            return sessions.sessionsOf(user.appid(), user.openid())
                    .doOnNext(listed -> audit("list sessions", user, listed.size() + " sessions"))
                    .flatMap(listed -> json(SessionListJson.of(listed, null)));
        }
        if (user.method() == HttpMethod.DELETE) {
            return sessions.endAll(user.appid(), user.openid())
                    .doOnNext(ended -> audit("kick out", user, ended + " sessions ended"))
                    .then(ServerResponse.noContent().build());
        }
        return Mono.error(GatewayErrorException.methodNotAllowed(HttpMethod.GET, HttpMethod.DELETE));
    }

    private Mono<ServerResponse> block(Target user) {
        if (user.method() == HttpMethod.PUT) {
            return bodies.read(user.request().exchange().getRequest(), BlockRequest::fromJson, BlockRequest::fromForm)
                    .flatMap(body -> sessions.block(user.appid(), user.openid(), body.value().duration())
                            .then(Mono.fromRunnable(() -> audit("block", user,
                                    "for " + body.value().duration().toSeconds() + " s, every session ended"))))
                    .then(ServerResponse.noContent().build());
        }
        if (user.method() == HttpMethod.DELETE) {
            return sessions.unblock(user.appid(), user.openid())
                    .doOnNext(lifted -> audit("unblock", user, lifted ? "block lifted" : "was not blocked"))
                    .then(ServerResponse.noContent().build());
        }
        if (user.method() == HttpMethod.GET) {
            return sessions.blockedFor(user.appid(), user.openid())
                    .switchIfEmpty(Mono.error(() -> new GatewayErrorException(GatewayError.BLOCK_NOT_FOUND)))
                    .doOnNext(left -> audit("read block", user, left.toSeconds() + " s left"))
                    .flatMap(left -> json("{\"blockedFor\":" + roundedUp(left) + "}"));
        }
        return Mono.error(GatewayErrorException.methodNotAllowed(HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.GET));
    }

    private static long roundedUp(Duration left) {
        return left.plusMillis(999).toSeconds();
    }

    private static Mono<ServerResponse> json(String body) {
        return ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).header("Cache-Control", "no-store")
                .bodyValue(body);
    }

    private static void audit(String action, Target user, String outcome) {
        log.info("Admin API: " + action + ", appid=" + user.appid() + ", openid=" + user.openid() + ": " + outcome);
    }
}
