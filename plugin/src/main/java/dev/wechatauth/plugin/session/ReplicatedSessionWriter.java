package dev.wechatauth.plugin.session;

import java.time.Duration;
import java.util.List;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.reactive.RedisReactiveCommands;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.data.redis.core.script.RedisScript;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Writes a new session and then sends {@code WAIT replicas timeout} on the same connection, pipelined with the write,
 * so that a failover right after a login keeps the session. WAIT counts the writes of the connection it is sent on, and blocks that
 * connection while it waits, so this uses a connection of its own rather than the one every request shares: on
 * Sentinel, to the current primary; on Cluster, to the primary owning the key's slot. Late replicas never fail a
 * login (the session is on the primary); a connection lost between the write and the wait does, since the session
 * may then exist only on a primary that is going away.
 */
public class ReplicatedSessionWriter implements SessionWriter, DisposableBean {

    private static final Log log = LogFactory.getLog(ReplicatedSessionWriter.class);

    private final OwnConnection connection;
    private final int replicas;
    private final long timeoutMillis;

    /**
     * @param client the Lettuce client Spring Boot configured ({@code LettuceConnectionFactory#getNativeClient()})
     * @param replicas how many replicas must acknowledge
     * @param timeout the longest to wait for them
     */
    public ReplicatedSessionWriter(AbstractRedisClient client, int replicas, Duration timeout) {
        this.connection = new OwnConnection(client);
        this.replicas = replicas;
        this.timeoutMillis = timeout.toMillis();
    }

    /** The {@code SET} and the {@code WAIT} go out together (pipelined): one round trip. */
    @Override
    public Mono<Void> set(String key, String value, Duration ttl) {
        return commandsFor(key).flatMap(commands -> Mono.when(
                commands.set(key, value, SetArgs.Builder.px(ttl.toMillis())), waitForReplicas(commands)));
    }

    /**
     * The script ({@code EVALSHA}, or {@code EVAL} again with its {@code WAIT} when Redis does not know it yet) and the
     * {@code WAIT} go out together: one round trip.
     */
    @Override
    public Mono<String> run(RedisScript<String> script, List<String> keys, List<String> args) {
        String[] keyArray = keys.toArray(String[]::new);
        String[] argArray = args.toArray(String[]::new);
        return commandsFor(keys.get(0)).flatMap(commands -> replicated(commands,
                        commands.<String>evalsha(script.getSha1(), ScriptOutputType.VALUE, keyArray, argArray))
                .onErrorResume(RedisNoScriptException.class, unknown -> replicated(commands,
                        commands.<String>eval(script.getScriptAsString(), ScriptOutputType.VALUE, keyArray, argArray))));
    }

    /** Only on a single primary: a script's keys may live in different slots on Cluster. */
    @Override
    public boolean onOnePrimary() {
        return !connection.isCluster();
    }

    private Mono<String> replicated(RedisReactiveCommands<String, String> commands, Flux<String> script) {
        Mono<String> answer = script.next().cache();
        return Mono.when(answer, waitForReplicas(commands)).then(answer);
    }

    private Mono<Long> waitForReplicas(RedisReactiveCommands<String, String> commands) {
        return commands.waitForReplication(replicas, timeoutMillis)
                .doOnNext(this::reportLateReplicas)
                .onErrorResume(RedisCommandTimeoutException.class, late -> Mono.empty());
    }

    private void reportLateReplicas(long acknowledged) {
        if (acknowledged < replicas && log.isDebugEnabled()) {
            log.debug("A new session reached " + acknowledged + " of " + replicas + " replicas in time");
        }
    }

    /** The commands of the connection to the primary that takes {@code key}. */
    private Mono<RedisReactiveCommands<String, String>> commandsFor(String key) {
        return connection.primaryFor(key).map(StatefulRedisConnection::reactive);
    }

    @Override
    public void destroy() {
        connection.close();
    }
}
