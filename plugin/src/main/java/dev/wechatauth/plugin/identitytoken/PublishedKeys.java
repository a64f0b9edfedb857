package dev.wechatauth.plugin.identitytoken;

import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import reactor.core.publisher.Mono;

/**
 * The public keys of every instance, in Redis:
 * <pre>
 * {ns}:jwks          hash     kid -> "{until, epoch ms} {public JWK as JSON}"
 *                             publish: EVAL of HSET of each own key, HDEL of every field past its until, and
 *                                      PEXPIRE of the hash to at least the latest until (one key, so Cluster-safe)
 *                             read:    HGETALL (fields past their until are skipped)
 * {ns}:jwks-keys     channel  the kid of a key published for the first time: every instance reads the hash again
 * </pre>
 * Only public keys are ever written. Clocks of the instances are assumed to agree within the publication margin.
 */
public class PublishedKeys {

    private static final Log log = LogFactory.getLog(PublishedKeys.class);
    private static final RedisScript<Long> PUBLISH = RedisScript.of("""
            local now = tonumber(ARGV[1])
            local created = 0
            for i = 3, #ARGV, 2 do
              created = created + redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
            end
            local all = redis.call('HGETALL', KEYS[1])
            for i = 1, #all, 2 do
              local untilMs = tonumber(string.match(all[i + 1], '^%d+'))
              if untilMs == nil or untilMs < now then
                redis.call('HDEL', KEYS[1], all[i])
              end
            end
            if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then
              redis.call('PEXPIRE', KEYS[1], ARGV[2])
            end
            return created""", Long.class);

    /** How much longer than the client's command time-out a call here may take. */
    private static final Duration PAST_COMMAND_TIMEOUT = Duration.ofMillis(500);

    private final ReactiveStringRedisTemplate redis;
    private final String key;
    private final String channel;
    private final Duration timeout;

    /**
     * @param timeout the client's command time-out ({@code session.store-timeout}); each call here is bounded a little
     *        past it, so that the command's own time-out answers first and its failure is never dropped as an error
     *        nobody hears
     */
    public PublishedKeys(ReactiveStringRedisTemplate redis, String namespace, Duration timeout) {
        this.redis = redis;
        this.key = namespace + ":jwks";
        this.channel = namespace + ":jwks-keys";
        this.timeout = timeout.plus(PAST_COMMAND_TIMEOUT);
    }

    /** The channel on which a new key is announced. */
    public String channel() {
        return channel;
    }

    /**
     * Publishes {@code keys}, each until its time, and drops every key of any instance that is past its own; emits how
     * many of {@code keys} Redis did not have (all of them after Redis lost its data).
     */
    public Mono<Long> publish(List<SigningKeys.Publication> keys, Instant now) {
        List<String> arguments = new ArrayList<>();
        arguments.add(Long.toString(now.toEpochMilli()));
        long latest = keys.stream().mapToLong(key -> key.until().toEpochMilli()).max().orElse(now.toEpochMilli());
        arguments.add(Long.toString(Math.max(1, latest - now.toEpochMilli())));
        for (SigningKeys.Publication publication : keys) {
            arguments.add(publication.publicJwk().getKeyID());
            arguments.add(publication.until().toEpochMilli() + " " + publication.publicJwk().toJSONString());
        }
        return redis.execute(PUBLISH, List.of(key), arguments).next().timeout(timeout);
    }

    /** Tells every instance that the key {@code kid} was published. */
    public Mono<Void> announce(String kid) {
        return redis.convertAndSend(channel, kid).then().timeout(timeout);
    }

    /** A key of some instance, and until when it is published. */
    public record Published(ECKey publicJwk, Instant until) {
    }

    /** Every published key whose time has not passed; an entry that is not a public P-256 key is skipped. */
    public Mono<List<Published>> read(Instant now) {
        return redis.<String, String>opsForHash().entries(key)
                .collectList()
                .map(entries -> {
                    List<Published> keys = new ArrayList<>();
                    for (Map.Entry<String, String> entry : entries) {
                        Published published = parse(entry.getValue(), now);
                        if (published != null) {
                            keys.add(published);
                        }
                    }
                    return keys;
                })
                .timeout(timeout);
    }

    private static Published parse(String value, Instant now) {
        int space = value.indexOf(' ');
        try {
            if (space < 0) {
                return null;
            }
            Instant until = Instant.ofEpochMilli(Long.parseLong(value.substring(0, space)));
            JWK jwk = JWK.parse(value.substring(space + 1));
            if (until.isAfter(now) && jwk instanceof ECKey ec && Curve.P_256.equals(ec.getCurve())
                    && ec.getKeyID() != null) {
                return new Published(ec.toPublicJWK(), until);
            }
        } catch (NumberFormatException | ParseException unreadable) {
            log.debug("A published key that cannot be read is skipped");
        }
        return null;
    }
}
