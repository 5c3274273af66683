/* Prints the byte offsets of the mjModel/mjData fields and the enum values that
 * ganglion-envs reads, one "name value" per line. src/mujoco/layout.rs holds these numbers for
 * MuJoCo 4.0.0; the test `layout_matches_headers` compiles this file against
 * data/mujoco/include and compares.
 *   cc -I data/mujoco/include crates/ganglion-envs/tools/layout.c -o /tmp/layout && /tmp/layout */
#include <stddef.h>
#include <stdio.h>
#include <mujoco/mujoco.h>

#define M(f) printf("MODEL_%s %zu\n", #f, offsetof(mjModel, f))
#define D(f) printf("DATA_%s %zu\n", #f, offsetof(mjData, f))
#define E(e) printf("%s %ld\n", #e, (long)(e))

int main(void) {
  printf("VERSION %d\n", mjVERSION_HEADER);
  printf("SIZEOF_MJTNUM %zu\n", sizeof(mjtNum));
  printf("SIZEOF_MJTSIZE %zu\n", sizeof(mjtSize));
  printf("SIZEOF_MJTBOOL %zu\n", sizeof(mjtBool));
  M(nq); M(nv); M(nu); M(na); M(nbody); M(njnt); M(ngeom); M(nsite); M(nlight);
  M(nsensor); M(nsensordata);
  printf("MODEL_opt_timestep %zu\n", offsetof(mjModel, opt) + offsetof(mjOption, timestep));
  printf("MODEL_opt_integrator %zu\n", offsetof(mjModel, opt) + offsetof(mjOption, integrator));
  M(jnt_type); M(jnt_qposadr); M(jnt_dofadr); M(jnt_limited); M(jnt_range);
  M(geom_size); M(geom_pos); M(light_pos); M(sensor_adr); M(sensor_dim);
  D(time); D(qpos); D(qvel); D(act); D(ctrl); D(sensordata);
  D(xpos); D(xmat); D(geom_xpos); D(site_xpos); D(site_xmat);
  printf("DATA_warning %zu\n", offsetof(mjData, warning));
  printf("SIZEOF_WARNINGSTAT %zu\n", sizeof(mjWarningStat));
  printf("WARNINGSTAT_number %zu\n", offsetof(mjWarningStat, number));
  E(mjNWARNING); E(mjWARN_BADQACC);
  E(mjSTATE_TIME); E(mjSTATE_QPOS); E(mjSTATE_QVEL); E(mjSTATE_ACT); E(mjSTATE_CTRL);
  E(mjSTATE_FULLPHYSICS); E(mjSTATE_INTEGRATION);
  E(mjOBJ_BODY); E(mjOBJ_JOINT); E(mjOBJ_GEOM); E(mjOBJ_SITE); E(mjOBJ_LIGHT);
  E(mjOBJ_ACTUATOR); E(mjOBJ_SENSOR);
  E(mjJNT_FREE); E(mjJNT_BALL); E(mjJNT_SLIDE); E(mjJNT_HINGE);
  E(mjINT_EULER);
  return 0;
}
