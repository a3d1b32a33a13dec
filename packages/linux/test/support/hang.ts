// Child module that never finishes: the harness's timeout must kill it.
export default function hang(): Promise<never> {
  return new Promise(() => {
    setInterval(() => undefined, 1000);
  });
}
