package dev.wechatauth.plugin.admin;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import dev.wechatauth.plugin.exchange.BodyFields;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The body of a block: {@code {"seconds":N}} (or the form {@code seconds=N}), N a whole number of seconds from 1 to
 * {@link #LONGEST} (ten years); anything else is 400 {@code invalid_request}.
 */
record BlockRequest(Duration duration) {

    static final long LONGEST = 315_360_000;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    static BlockRequest fromJson(byte[] body) {
        try {
            JsonNode root = JSON.readTree(new String(body, StandardCharsets.UTF_8));
            JsonNode seconds = root == null || !root.isObject() ? null : root.get("seconds");
            if (seconds == null || !seconds.isIntegralNumber() || !seconds.canConvertToLong()) {
                throw invalid();
            }
            return of(seconds.asLong());
        } catch (JacksonException unreadable) {
            throw invalid();
        }
    }

    static BlockRequest fromForm(byte[] body) {
        String seconds = BodyFields.fromForm(body, Set.of("seconds"), BlockRequest::invalid).get("seconds");
        if (seconds == null || !seconds.matches("[0-9]{1,12}")) {
            throw invalid();
        }
        return of(Long.parseLong(seconds));
    }

    private static BlockRequest of(long seconds) {
        if (seconds < 1 || seconds > LONGEST) {
            throw invalid();
        }
        return new BlockRequest(Duration.ofSeconds(seconds));
    }

    private static GatewayErrorException invalid() {
        return new GatewayErrorException(GatewayError.INVALID_BLOCK_BODY);
    }
}
