package dev.wechatauth.plugin.logging;

import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;
import org.slf4j.helpers.MessageFormatter;

/**
 * Drops every log event that would print a configured AppSecret, a bearer token or a WeChat access_token, whichever
 * library logs it. The secret travels in the code2Session query string and the access_token in the query string of
 * the APIs that need it, and at DEBUG both Spring's {@code ExchangeFunctions} and Reactor Netty
 * ({@code HttpClientConnect}, {@code PooledConnectionProvider}) print full request URIs; no setting of theirs masks a
 * query parameter. An access_token is recognised both as one the gateway currently holds (asked of a supplier on each
 * inspected event) and by its parameter ({@code access_token=…} in a URI, {@code "access_token":"…"} in JSON). Only
 * events that would be written are inspected.
 */
public final class SecretLogGuard extends TurboFilter {

    private static final int MAX_CAUSES = 8;
    /** A bearer token as this gateway issues them: a public route forwards, and some DEBUG loggers print, headers. */
    private static final Pattern BEARER_TOKEN = Pattern.compile("(?i)bearer\\s+[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])");
    /** An access_token as a query parameter or a JSON field, whoever's it is. */
    private static final Pattern ACCESS_TOKEN = Pattern.compile("(?i)access_token(=|\"?\\s*:\\s*\")[^&\\s\"]");

    private final List<String> secrets;
    private final Supplier<? extends Collection<String>> currentTokens;

    public SecretLogGuard(List<String> secrets) {
        this(secrets, List::of);
    }

    /**
     * @param secrets the AppSecrets
     * @param currentTokens the access_tokens the gateway holds now; asked on every inspected event, so it must be cheap
     */
    public SecretLogGuard(List<String> secrets, Supplier<? extends Collection<String>> currentTokens) {
        this.secrets = List.copyOf(secrets);
        this.currentTokens = currentTokens;
        setName("wechat-auth-secret-guard");
    }

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params,
            Throwable failure) {
        if (level == null || !level.isGreaterOrEqual(logger.getEffectiveLevel())) {
            return FilterReply.NEUTRAL;
        }
        String message = params == null || params.length == 0 ? format
                : MessageFormatter.arrayFormat(format, params).getMessage();
        if (mentionsSecret(message)) {
            return FilterReply.DENY;
        }
        if (params != null) {
            for (Object param : params) {
                if (param != null && mentionsSecret(String.valueOf(param))) {
                    return FilterReply.DENY;
                }
            }
        }
        Throwable cause = failure;
        for (int depth = 0; cause != null && depth < MAX_CAUSES; depth++, cause = cause.getCause()) {
            if (mentionsSecret(cause.getMessage()) || mentionsSecretInSuppressed(cause)) {
                return FilterReply.DENY;
            }
        }
        return FilterReply.NEUTRAL;
    }

    private boolean mentionsSecretInSuppressed(Throwable failure) {
        for (Throwable suppressed : failure.getSuppressed()) {
            if (mentionsSecret(suppressed.getMessage())) {
                return true;
            }
        }
        return false;
    }

    private boolean mentionsSecret(String text) {
        if (text == null) {
            return false;
        }
        for (String secret : secrets) {
            if (text.contains(secret)) {
                return true;
            }
        }
        for (String token : currentTokens.get()) {
            if (text.contains(token)) {
                return true;
            }
        }
        return BEARER_TOKEN.matcher(text).find() || ACCESS_TOKEN.matcher(text).find();
    }
}
