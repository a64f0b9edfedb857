package dev.wechatauth.plugin.session;

/**
 * One session of a user as the user (or an operator) sees it in a list of the user's devices: never the token nor
 * its hash. Times are epoch seconds.
 *
 * @param id the session's stable public id ({@link Tokens#publicId})
 * @param createdAt its login
 * @param lastUsedAt when it was last renewed (it may lag use by the renewal interval)
 * @param expiresIn seconds left: the smaller of the idle time and the absolute lifetime left
 * @param userAgent the login's {@code User-Agent}, or null when none was recorded
 */
public record UserSession(String id, long createdAt, long lastUsedAt, long expiresIn, String userAgent) {
}
