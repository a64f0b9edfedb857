package dev.wechatauth.plugin.session;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.CommandOutput;
import io.lettuce.core.output.IntegerOutput;
import io.lettuce.core.output.ValueOutput;
import io.lettuce.core.protocol.AsyncCommand;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.RedisCommand;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.data.redis.core.script.RedisScript;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.util.function.Tuple2;
import reactor.util.function.Tuples;

/**
 * Runs scripts that need no answer at once, such as the background renewals of sessions, in pipelined batches on a
 * connection of its own: the scripts asked for within {@link #MAX_WAIT} (or the first {@link #MAX_BATCH} of them) go
 * out together, each batch written to its connection in one flush, so that Redis reads the batch in one go and
 * answers it in one write. A lone script waits at most {@link #MAX_WAIT}. Nothing blocks a thread: the batch is
 * written by Netty's event loop, its answers complete each caller separately, and each script succeeds or fails on
 * its own (bounded by the client's command timeout, {@code store-timeout}).
 * <p>
 * Each script is {@code EVALSHA}; one that Redis does not know yet ({@code NOSCRIPT}: a restarted or new node) is sent
 * again alone as {@code EVAL}.
 * <p>
 * <b>Cluster.</b> The keys of one batch live in many slots, on different primaries. The batch is split by the
 * primary that owns each key's slot in the client's view of the topology (the one Lettuce's topology refresh keeps),
 * and each part is written in one flush to that primary's connection, so a batch costs one write per primary. A
 * script a primary answers with {@code MOVED} or {@code ASK} (a slot moved, or a failover the view has not seen yet)
 * is sent again alone through the Cluster connection, which follows the redirection as every other command does and
 * lets the topology refresh learn of it. A primary that fails fails the scripts of its part (an error, or the
 * command timeout), and only those; the other parts are not affected.
 */
public class PipelinedScripts implements ScriptRunner, DisposableBean {

    /** The most scripts in one batch. */
    public static final int MAX_BATCH = 256;
    /** The longest a script waits for others to join its batch. */
    public static final Duration MAX_WAIT = Duration.ofMillis(5);

    private final OwnConnection connection;
    private final FluxSink<Call<?>> calls;
    private final Disposable batches;

    /** @param client the Lettuce client Spring Boot configured ({@code LettuceConnectionFactory#getNativeClient()}) */
    public PipelinedScripts(AbstractRedisClient client) {
        this.connection = new OwnConnection(client);
        AtomicReference<FluxSink<Call<?>>> sink = new AtomicReference<>();
        this.batches = Flux.<Call<?>>create(sink::set)
                .bufferTimeout(MAX_BATCH, MAX_WAIT)
                .subscribe(this::send);
        this.calls = sink.get();
    }

    @Override
    public <T> Mono<T> run(RedisScript<T> script, String key, List<String> args) {
        return Mono.defer(() -> {
            if (batches.isDisposed()) {
                return Mono.error(new RedisException("The pipeline is closed"));
            }
            Call<T> call = new Call<>(script, key, args);
            calls.next(call);
            return Mono.fromFuture(call.result, true);
        });
    }

    /** Writes a batch, one flush per primary its keys belong to. */
    private void send(List<Call<?>> batch) {
        Flux.fromIterable(batch)
                .flatMap(call -> connection.primaryIdFor(call.key)
                        .map(primary -> Tuples.<String, Call<?>>of(primary, call))
                        .onErrorResume(failure -> call.fail(failure)))
                .collectMultimap(Tuple2::getT1, Tuple2::getT2)
                .flatMapIterable(Map::entrySet)
                .subscribe(part -> connection.primary(part.getKey()).subscribe(
                        primary -> dispatch(primary, part.getValue()),
                        failure -> part.getValue().forEach(call -> call.fail(failure))));
    }

    private static void dispatch(StatefulRedisConnection<String, String> primary, Collection<Call<?>> part) {
        try {
            primary.dispatch(part.stream().<RedisCommand<String, String, ?>>map(call -> call.evalsha(primary)).toList());
        } catch (RuntimeException refused) {
            part.forEach(call -> call.fail(refused));
        }
    }

    @Override
    public void destroy() {
        batches.dispose();
        connection.close();
    }

    /** One script on one key, and its outcome. */
    private final class Call<T> {

        private final RedisScript<T> script;
        private final String key;
        private final List<String> args;
        private final CompletableFuture<T> result = new CompletableFuture<>();

        Call(RedisScript<T> script, String key, List<String> args) {
            if (script.getResultType() != String.class && script.getResultType() != Long.class) {
                throw new IllegalArgumentException("Only scripts answering a String or a Long are pipelined");
            }
            this.script = script;
            this.key = key;
            this.args = args;
        }

        /** The {@code EVALSHA} of this call; its outcome completes the call, or sends it again as below. */
        AsyncCommand<String, String, Object> evalsha(StatefulRedisConnection<String, String> primary) {
            AsyncCommand<String, String, Object> command = command(CommandType.EVALSHA, script.getSha1());
            command.whenComplete((value, failure) -> {
                if (failure instanceof RedisNoScriptException) {
                    primary.dispatch(eval());
                } else if (redirected(failure)) {
                    connection.cluster().switchIfEmpty(Mono.error(failure))
                            .subscribe(cluster -> cluster.dispatch(eval()), this::fail);
                } else {
                    complete(value, failure);
                }
            });
            return command;
        }

        private AsyncCommand<String, String, Object> eval() {
            AsyncCommand<String, String, Object> command = command(CommandType.EVAL, script.getScriptAsString());
            command.whenComplete(this::complete);
            return command;
        }

        private AsyncCommand<String, String, Object> command(CommandType type, String scriptOrSha) {
            CommandArgs<String, String> commandArgs = new CommandArgs<>(StringCodec.UTF8)
                    .add(scriptOrSha).add(1).addKey(key).addValues(args);
            return new AsyncCommand<>(new Command<>(type, output(), commandArgs));
        }

        @SuppressWarnings("unchecked")
        private CommandOutput<String, String, Object> output() {
            CommandOutput<String, String, ?> output = script.getResultType() == Long.class
                    ? new IntegerOutput<>(StringCodec.UTF8)
                    : new ValueOutput<>(StringCodec.UTF8);
            return (CommandOutput<String, String, Object>) output;
        }

        private void complete(Object value, Throwable failure) {
            if (failure != null) {
                result.completeExceptionally(failure);
            } else {
                result.complete(script.getResultType().cast(value));
            }
        }

        <R> Mono<R> fail(Throwable failure) {
            result.completeExceptionally(failure);
            return Mono.empty();
        }
    }

    /** A Cluster node's answer that the key's slot is served elsewhere. */
    private static boolean redirected(Throwable failure) {
        return failure instanceof RedisCommandExecutionException
                && failure.getMessage() != null
                && (failure.getMessage().startsWith("MOVED ") || failure.getMessage().startsWith("ASK "));
    }
}
