package dev.wechatauth.plugin.endpoints;

import java.util.List;

import dev.wechatauth.plugin.session.UserSession;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A user's sessions as JSON: {@code {"sessions":[{"id","createdAt","lastUsedAt","expiresIn","userAgent"?,
 * "current"?}]}}, in the order given. {@code current} is there only when the caller's own session is known.
 */
public final class SessionListJson {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private SessionListJson() {
    }

    /**
     * @param currentId the public id of the caller's session, or null to leave {@code current} out (the admin API)
     */
    public static String of(List<UserSession> sessions, String currentId) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode list = root.putArray("sessions");
        for (UserSession session : sessions) {
            ObjectNode item = list.addObject()
                    .put("id", session.id())
                    .put("createdAt", session.createdAt())
                    .put("lastUsedAt", session.lastUsedAt())
                    .put("expiresIn", session.expiresIn());
            if (session.userAgent() != null) {
                item.put("userAgent", session.userAgent());
            }
            if (currentId != null) {
                item.put("current", session.id().equals(currentId));
            }
        }
        return JSON.writeValueAsString(root);
    }
}
