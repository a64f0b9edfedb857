'use strict';
// Starts the packaged gateway (gateway/target/gateway.jar, or GATEWAY_JAR) in the `local` profile with the
// repository's routes.yml, on two free ports (public and management), and stops it: SIGTERM, so that its embedded
// Redis stops with it, then SIGKILL if it lingers. A gateway still running when this process exits is killed; one
// still running when this process is stopped by a signal gets SIGTERM.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const START_ATTEMPTS = 3;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = server.address().port;
      server.close(() => resolve(port));
    });
  });
}

function java() {
  if (process.env.JAVA) {
    return process.env.JAVA;
  }
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

async function answers(url) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.status > 0;
  } catch (notYet) {
    return false;
  }
}

class LocalGateway {
  constructor(child, port, managementPort) {
    this.child = child;
    this.port = port;
    this.managementPort = managementPort;
    this.baseUrl = 'http://127.0.0.1:' + port;
    this.output = '';
    child.stdout.on('data', (chunk) => { this.output += chunk; });
    child.stderr.on('data', (chunk) => { this.output += chunk; });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    this.alive = true;
    this.exited.then(() => { this.alive = false; });
    this.killOnExit = () => child.kill('SIGKILL');
    // a test run that is stopped (Ctrl-C, Maven ended) stops the gateway the gentle way first
    this.stopOnSignal = (signal) => {
      child.kill('SIGTERM');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    process.once('exit', this.killOnExit);
    process.once('SIGINT', this.stopOnSignal);
    process.once('SIGTERM', this.stopOnSignal);
  }

  /** Waits until the public and the management port answer; rejects if the process exits or `ms` pass. */
  async listening(ms) {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (!this.alive) {
        throw new Error('the gateway exited before listening:\n' + this.output);
      }
      if (await answers(this.baseUrl + '/playground/')
          && await answers('http://127.0.0.1:' + this.managementPort + '/actuator/health')) {
        return this;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error('the gateway did not listen within ' + ms + ' ms:\n' + this.output);
  }

  async stop() {
    process.removeListener('exit', this.killOnExit);
    process.removeListener('SIGINT', this.stopOnSignal);
    process.removeListener('SIGTERM', this.stopOnSignal);
    if (!this.alive) {
      return;
    }
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Starts the gateway and waits until it listens; a start that lost a port to another process is tried again. */
async function startLocalGateway() {
  const jar = process.env.GATEWAY_JAR || path.join(ROOT, 'gateway', 'target', 'gateway.jar');
  if (!fs.existsSync(jar)) {
    throw new Error('no ' + jar + ': build it first (./mvnw -B package -DskipTests), or set GATEWAY_JAR');
  }
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    let managementPort = await freePort();
    while (managementPort === port) {
      managementPort = await freePort();
    }
    const env = Object.assign({}, process.env);
    Object.keys(env).filter((name) => /^(WECHAT_|GATEWAY_|SPRING_|SERVER_|MANAGEMENT_)/.test(name))
        .forEach((name) => delete env[name]);
    const child = spawn(java(), ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-jar', jar,
      '--spring.profiles.active=local',
      '--server.port=' + port,
      '--management.server.port=' + managementPort,
      '--gateway.routes-file=' + path.join(ROOT, 'routes.yml')], { cwd: ROOT, env: env, stdio: ['ignore', 'pipe', 'pipe'] });
    const gateway = new LocalGateway(child, port, managementPort);
    try {
      return await gateway.listening(90000);
    } catch (failure) {
      await gateway.stop();
      if (attempt === START_ATTEMPTS || !/already in use/i.test(gateway.output)) {
        throw failure;
      }
    }
  }
}

module.exports = { startLocalGateway };
